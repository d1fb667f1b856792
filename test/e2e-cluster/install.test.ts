// Davy in a real cluster (issue 10): its own image on a real node, installed from deploy/, the
// apiserver calling the webhook through its Service, the cronjob controller starting the stepper,
// and real podinfo pods whose real readiness decides promotion and rollback.
import { expect } from 'chai';
import { inCluster } from './hooks.js';
import {
  PODINFO, PODINFO_NEXT, apply, blueGreenCanary, canaryEvents, canaryPhase, isReady, podinfoDeployment, pods, readySince, servedVersion,
  type Pod,
} from './podinfo.js';
import { DAVY_NAMESPACE, REAL_NODE } from '../harness/install.js';
import { eventually } from '../harness/process.js';
import { testNamespace } from '../harness/cluster.js';
import type { KubeObject } from '../../src/kube/client.js';

interface Deployment extends KubeObject {
  spec: { paused?: boolean; replicas: number; template: { spec: { containers: { image: string }[] } } };
  status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number };
}

const NODE = 'real-node-0';

/** Denied /validate reviews, summed over the webhook's pods, from their metrics ports. */
async function validateDenials(): Promise<number> {
  let total = 0;
  for (const pod of (await pods(inCluster().cluster, DAVY_NAMESPACE, 'app.kubernetes.io/name=davy-webhook')).filter(isReady)) {
    const text = await (await fetch(`http://${pod.status!.podIP!}:8080/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    total += text.split('\n').filter((l) => l.startsWith('davy_webhook_requests_total{') && l.includes('path="/validate"') && l.includes('verdict="denied"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }
  return total;
}

/** Sets up podinfo on the real node in a new namespace, then its Canary; resolves once Initialized. */
async function canaried(namespace: string, canary: Parameters<typeof blueGreenCanary>[1] = {}): Promise<void> {
  const { cluster } = inCluster();
  await cluster.createNamespace(namespace);
  await apply(cluster, [podinfoDeployment(namespace)]);
  await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/podinfo', '--timeout=120s']);
  await apply(cluster, [blueGreenCanary(namespace, canary)]);
  // The first run of the CronJob starts at the next minute.
  await canaryPhase(cluster, namespace, 'Initialized', 150_000);
}

const deployment = async (namespace: string, name = 'podinfo'): Promise<Deployment> => {
  const found = await inCluster().cluster.kube.get<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
  if (!found) throw new Error(`no Deployment ${namespace}/${name}`);
  return found;
};

describe('Davy installed in the cluster from deploy/, on a real node', function () {
  const cleanup: string[] = [];
  after(async () => Promise.all(cleanup.map((ns) => inCluster().cluster.deleteNamespace(ns))));

  it('when installed, then both webhook replicas run Davy\'s image on the real node as 65532 with a read-only root', async () => {
    const { cluster, installed } = inCluster();
    const webhookPods = await pods(cluster, DAVY_NAMESPACE, 'app.kubernetes.io/name=davy-webhook');
    expect(webhookPods.map((p) => [p.spec.nodeName, p.spec.containers[0]!.image, isReady(p)])).to.deep.equal([
      [NODE, 'davy:latest', true], [NODE, 'davy:latest', true],
    ]);
    const config = JSON.parse(await cluster.kubectlOk(['get', 'validatingwebhookconfiguration', 'davy-validate', '-o', 'json'])) as
      { webhooks: { clientConfig: { service?: { name: string; namespace: string }; url?: string } }[] };
    expect(config.webhooks[0]!.clientConfig).to.deep.include({ service: { name: 'davy-webhook', namespace: DAVY_NAMESPACE, path: '/validate', port: 443 } });
    console.log(`      install to ready: ${(installed.readyAfterMs / 1000).toFixed(1)} s`);
  });

  it('when the image runs with its default command, then it prints the help as user 65532 under a read-only root', async () => {
    const { cluster } = inCluster();
    const namespace = testNamespace('image');
    cleanup.push(namespace);
    await cluster.createNamespace(namespace);
    await apply(cluster, [{
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'help', namespace },
      spec: {
        ...REAL_NODE, restartPolicy: 'Never',
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'davy', image: 'davy:latest', imagePullPolicy: 'Never',
          command: ['/usr/local/bin/node', '-e', 'console.log(process.getuid(), process.getgid()); require("fs").writeFileSync("/probe", "x")'],
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        }, {
          name: 'help', image: 'davy:latest', imagePullPolicy: 'Never',
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        }],
      },
    }]);
    await eventually('the pod to finish', async () => {
      const pod = await cluster.kube.get<Pod & { status?: { phase?: string } }>({ apiVersion: 'v1', kind: 'Pod', namespace, name: 'help' });
      return pod?.status?.phase === 'Failed' || pod?.status?.phase === 'Succeeded' ? true : undefined;
    }, 60_000, 500);
    const probe = await cluster.kubectl(['-n', namespace, 'logs', 'help', '-c', 'davy']);
    expect(probe.stdout).to.match(/^65532 65532$/m);
    expect(probe.stdout + probe.stderr).to.match(/EROFS|read-only file system/);
    expect(await cluster.kubectlOk(['-n', namespace, 'logs', 'help', '-c', 'help'])).to.match(/^Usage:/m);
  });

  it('when a bad Canary is applied, then the in-cluster webhook denies it with every error', async () => {
    const { cluster } = inCluster();
    const deniedBefore = await validateDenials();
    const result = await cluster.kubectl(['apply', '-f', '-'], `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: bad, namespace: default}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: bad}
  service: {port: 9898}
  analysis: {interval: soon, threshold: 5, maxWeight: 150, stepWeight: -5}
`);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('The Canary "bad" is invalid');
    for (const path of ['spec.analysis.interval', 'spec.analysis.maxWeight', 'spec.analysis.stepWeight']) expect(result.stderr).to.include(path);
    // Answered by the webhook's pods, as their own metrics count.
    expect(await validateDenials()).to.equal(deniedBefore + 1);
  });

  it('when `kubectl set image` changes a canaried podinfo, then the CronJob alone promotes it once the new pods are really ready', async function () {
    this.timeout(420_000);
    const { cluster } = inCluster();
    const namespace = testNamespace('bluegreen');
    cleanup.push(namespace);
    await canaried(namespace);
    const stable = await pods(cluster, namespace, 'app=podinfo');
    expect(stable.every((p) => p.spec.nodeName === NODE && isReady(p))).to.equal(true);
    expect(await servedVersion(cluster, namespace)).to.equal('6.9.2');

    const changedAt = Date.now();
    await cluster.kubectlOk(['-n', namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${PODINFO_NEXT}`]);
    // Held: the Deployment shows the new image, its pods still run the old one.
    const held = await deployment(namespace);
    expect([held.spec.paused, held.spec.template.spec.containers[0]!.image]).to.deep.equal([true, PODINFO_NEXT]);
    expect((await pods(cluster, namespace, 'app=podinfo')).map((p) => p.metadata.uid).sort()).to.deep.equal(stable.map((p) => p.metadata.uid).sort());

    await canaryPhase(cluster, namespace, 'Succeeded', 300_000);
    const promotedAfterS = (Date.now() - changedAt) / 1000;

    // Promotion waited for the user's Deployment to roll out: every pod is new, on the real node, Ready.
    const after = await pods(cluster, namespace, 'app=podinfo');
    expect(after.map((p) => [p.spec.containers[0]!.image, p.spec.nodeName, isReady(p)])).to.deep.equal([
      [PODINFO_NEXT, NODE, true], [PODINFO_NEXT, NODE, true],
    ]);
    expect(after.some((p) => stable.some((s) => s.metadata.uid === p.metadata.uid))).to.equal(false);
    expect(await eventually('the Service to serve 6.9.3', async () => ((await servedVersion(cluster, namespace)) === '6.9.3' ? true : undefined), 15_000)).to.equal(true);
    // And analysis waited for the copy's real readiness: its pods were Ready before the first iteration.
    const events = await canaryEvents(cluster, namespace);
    const firstIteration = events.find((e) => /iteration 1\//.test(e.message));
    expect(firstIteration, events.map((e) => e.message).join('\n')).to.not.equal(undefined);
    const copy = await cluster.kube.list<Pod>('v1', 'Pod', namespace, { labelSelector: 'app=podinfo-canary' });
    for (const pod of copy.items.filter(isReady)) expect(readySince(pod)).to.be.at.most(Date.parse(firstIteration!.firstTimestamp ?? firstIteration!.eventTime ?? ''));
    // The steps were taken by the CronJob's Jobs: there is no other stepper in this cluster.
    const jobs = await cluster.kube.list<KubeObject>('batch/v1', 'Job', DAVY_NAMESPACE, { labelSelector: 'app.kubernetes.io/name=davy-stepper' });
    expect(jobs.items.length).to.be.greaterThan(0);
    console.log(`      set image -> Succeeded: ${promotedAfterS.toFixed(0)} s (interval 10 s x 3 iterations = 30 s of analysis)`);
  });

  it('when the new revision never becomes ready, then it rolls back at the progress deadline and the user\'s pods keep serving', async function () {
    this.timeout(420_000);
    const { cluster } = inCluster();
    const namespace = testNamespace('unready');
    cleanup.push(namespace);
    await canaried(namespace, { progressDeadlineSeconds: 30 });
    const stable = await pods(cluster, namespace, 'app=podinfo');

    // podinfo's --unready: the process runs, /readyz never says ready.
    await cluster.kubectlOk(['-n', namespace, 'patch', 'deployment', 'podinfo', '--type=json', '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/command/-', value: '--unready' }])]);
    await canaryPhase(cluster, namespace, 'Failed', 240_000);

    const after = await pods(cluster, namespace, 'app=podinfo');
    expect(after.map((p) => p.metadata.uid).sort()).to.deep.equal(stable.map((p) => p.metadata.uid).sort());
    expect(after.every((p) => isReady(p) && p.spec.containers[0]!.image === PODINFO)).to.equal(true);
    expect(await servedVersion(cluster, namespace)).to.equal('6.9.2');
    const events = (await canaryEvents(cluster, namespace)).map((e) => e.message);
    expect(events.join('\n')).to.match(/progress deadline|Rolling back/i);
  });

  it('when a webhook pod is killed while a canaried Deployment keeps being updated, then no update is refused', async function () {
    this.timeout(180_000);
    const { cluster } = inCluster();
    const namespace = testNamespace('availability');
    cleanup.push(namespace);
    await cluster.createNamespace(namespace);
    // Labelled as canaried, so that every update goes through the mutating webhook.
    const target = podinfoDeployment(namespace, 1);
    target.metadata.labels = { ...target.metadata.labels, 'davy.dev/canary': 'podinfo' };
    await apply(cluster, [target]);

    const [victim] = await pods(cluster, DAVY_NAMESPACE, 'app.kubernetes.io/name=davy-webhook');
    const refused: string[] = [];
    let updates = 0;
    let done = false;
    const writer = (async () => {
      while (!done) {
        updates += 1;
        await cluster.kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'podinfo' },
          { type: 'merge', body: { metadata: { annotations: { 'e2e.davy.dev/update': String(updates) } } } })
          .catch((error: Error) => refused.push(error.message));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await cluster.kubectlOk(['-n', DAVY_NAMESPACE, 'delete', 'pod', victim!.metadata.name!, '--wait=false']);
    // Until a replacement is Ready and the victim is gone.
    await eventually('a replacement webhook pod', async () => {
      const now = await pods(cluster, DAVY_NAMESPACE, 'app.kubernetes.io/name=davy-webhook');
      const all = await cluster.kube.list<Pod>('v1', 'Pod', DAVY_NAMESPACE, { labelSelector: 'app.kubernetes.io/name=davy-webhook' });
      return now.filter(isReady).length === 2 && !all.items.some((p) => p.metadata.uid === victim!.metadata.uid) ? true : undefined;
    }, 120_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    done = true;
    await writer;
    console.log(`      ${updates} updates while a webhook pod was replaced, ${refused.length} refused`);
    expect(refused, refused.join('\n')).to.deep.equal([]);
    expect(updates).to.be.greaterThan(20);
  });
});
