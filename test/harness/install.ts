// Davy installed in the cluster as a user installs it (README, "Install on a cluster"):
// certs/generate.sh, then `kubectl apply -k` of an overlay of its output, which is all of deploy/
// with the TLS Secret and caBundles. The overlay sets only what a test may: the image (kustomize's
// `images:`), the pull policy (the image is imported, not pulled) and the real node's
// toleration and node selector. Every Davy component then runs with deploy/'s ServiceAccounts
// and RBAC, the apiserver calls the webhook through its Service, and the cronjob controller
// starts the stepper.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from './process.js';
import { PROBE_CANARY } from './webhook.js';
import type { Cluster } from './cluster.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

export const DAVY_NAMESPACE = 'davy-system';
export const REAL_NODE = {
  nodeSelector: { 'davy.dev/real-node': 'true' },
  tolerations: [{ key: 'davy.dev/real-node', operator: 'Exists', effect: 'NoSchedule' }],
};

/** JSON patch ops that put a pod template on the real node with the imported image. */
function onRealNode(template: string): string {
  return [
    `- {op: add, path: ${template}/nodeSelector, value: ${JSON.stringify(REAL_NODE.nodeSelector)}}`,
    `- {op: add, path: ${template}/tolerations, value: ${JSON.stringify(REAL_NODE.tolerations)}}`,
    `- {op: replace, path: ${template}/containers/0/imagePullPolicy, value: Never}`,
  ].join('\n      ');
}

/** Writes the overlay into `dir` (certificates in dir/certs) and returns its path. */
export async function writeInstallOverlay(dir: string, image = { name: 'davy', tag: 'latest' }): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await run(path.join(ROOT, 'certs/generate.sh'), ['--out', path.join(dir, 'certs')]);
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [certs]
images:
  - {name: davy, newName: ${image.name}, newTag: ${image.tag}}
patches:
  - target: {kind: Deployment, name: davy-webhook}
    patch: |-
      ${onRealNode('/spec/template/spec')}
  - target: {kind: CronJob, name: davy-stepper}
    patch: |-
      ${onRealNode('/spec/jobTemplate/spec/template/spec')}
`);
  return dir;
}

export interface Installed {
  /** Milliseconds from `kubectl apply -k` to both webhook replicas Ready and the webhook in effect. */
  readyAfterMs: number;
}

/** Installs Davy from the overlay and waits until the apiserver calls the in-cluster webhook. */
export async function installDavy(cluster: Cluster, dir: string): Promise<Installed> {
  const overlay = await writeInstallOverlay(dir);
  const started = Date.now();
  await cluster.kubectlOk(['apply', '-k', overlay]);
  await cluster.kubectlOk(['-n', DAVY_NAMESPACE, 'rollout', 'status', 'deployment/davy-webhook', '--timeout=180s']);
  await eventually('the in-cluster validating webhook to be in effect', async () => {
    const probe = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], PROBE_CANARY);
    return /must not exceed maxWeight/.test(probe.stderr) ? true : undefined;
  }, 60_000, 500);
  return { readyAfterMs: Date.now() - started };
}
