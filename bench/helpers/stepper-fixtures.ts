// The objects the stepper benchmark runs on: Deployments of 1 replica (kwok makes their pods
// Ready) and valid Canaries for them (provider kubernetes, blue/green by iterations, no metrics and
// no webhooks: the cheapest honest strategy, it needs nothing outside the cluster), spread across
// namespaces; a second kwok node for pod room; and the bootstrap that runs passes until every
// Canary is Initialized, so the measured passes start from idle canaries.
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { mapBounded } from '../../src/lib/map-bounded.js';
import type { KubeClient, KubeObject } from '../../src/kube/client.js';
import { runPass, type PassReport, type RunnerDeps } from '../../src/runner/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { createWebhookCaller } from '../../src/webhooks/caller.js';
import type { Cluster } from '../../test/harness/cluster.js';
import { eventually } from '../../test/harness/process.js';

export const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';
/** Writes in flight while the benchmark creates objects (the client's socket pool is 16). */
export const CREATE_CONCURRENCY = 16;

export interface CanaryShape {
  intervalSeconds: number;
  iterations: number;
}

export const appName = (index: number): string => `app-${String(index).padStart(4, '0')}`;

export function deployment(namespace: string, name: string, image = IMAGE): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 9898 }] }] },
      },
    },
  };
}

export function canary(namespace: string, name: string, shape: CanaryShape): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace },
    spec: {
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 80, targetPort: 9898 },
      analysis: { interval: `${shape.intervalSeconds}s`, threshold: 2, iterations: shape.iterations },
    },
  };
}

/** A second fake node: 1,000 idle apps plus 100 progressing ones and their copies exceed one node's 1,000 pods. */
export async function addKwokNode(cluster: Cluster, name: string): Promise<void> {
  const existing = await cluster.kube.get({ apiVersion: 'v1', kind: 'Node', name });
  if (!existing) {
    await cluster.kube.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
      },
      status: {
        allocatable: { cpu: '64', memory: '256Gi', pods: '1000' },
        capacity: { cpu: '64', memory: '256Gi', pods: '1000' },
        phase: 'Running',
      },
    });
  }
  await eventually(`node ${name} Ready and untainted`, async () => {
    const node = await cluster.kube.get<KubeObject & { spec?: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } }>(
      { apiVersion: 'v1', kind: 'Node', name });
    const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready && !(node?.spec?.taints?.length) ? true : undefined;
  }, 60_000, 500);
}

/** Namespaces (created when missing) and, in each, apps `from`..`to - 1`: a Deployment and its Canary. */
export async function createApps(cluster: Cluster, namespaces: readonly string[], from: number, to: number, shape: CanaryShape): Promise<void> {
  await mapBounded(namespaces, 4, async (ns) => {
    if (!(await cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))) await cluster.createNamespace(ns);
  });
  const apps = namespaces.flatMap((ns) => Array.from({ length: to - from }, (_, i) => ({ ns, name: appName(from + i) })));
  await mapBounded(apps, CREATE_CONCURRENCY, async ({ ns, name }) => {
    await createIfMissing(cluster.kube, deployment(ns, name));
    await createIfMissing(cluster.kube, canary(ns, name, shape));
  });
}

async function createIfMissing(kube: KubeClient, object: KubeObject): Promise<void> {
  const { apiVersion, kind, metadata } = object;
  if (await kube.get({ apiVersion, kind, name: metadata.name ?? '', namespace: metadata.namespace ?? '' })) return;
  await kube.create(object);
}

/** Runner dependencies as `davy step` wires them, with a silent logger and a client of its own. */
export function runnerDeps(kubeconfig: string, onRequest?: (verb: string, kind: string) => void): { deps: RunnerDeps; client: NodeKubeClient } {
  const client = NodeKubeClient.fromKubeconfig({ kubeconfig, ...(onRequest ? { onRequest } : {}), timeoutMs: 60_000 });
  return { client, deps: { kube: client, clock: () => new Date(), logger: silentLogger(), webhooks: createWebhookCaller() } };
}

interface DeploymentStatus extends KubeObject {
  spec?: { replicas?: number; paused?: boolean };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

/** The Deployment controller has caught up: every Deployment observed and rolled out (a held one only observed). */
function settled(d: DeploymentStatus): boolean {
  const status = d.status ?? {};
  if ((status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
  if (d.spec?.paused) return true;
  const wanted = d.spec?.replicas ?? 1;
  return (status.replicas ?? 0) === wanted && (status.updatedReplicas ?? 0) === wanted && (status.availableReplicas ?? 0) === wanted;
}

/**
 * Waits until the cluster's controllers have rolled out every Deployment. The local control plane's
 * controllers are rate-limited (20 requests/s each, kube-controller-manager's default), so 1,000
 * new apps and their copies keep them busy for minutes: measuring before they are done would time
 * their backlog (and copies that cannot become ready) rather than the stepper.
 */
export async function settle(cluster: Cluster, log: (text: string) => void, timeoutMs = 1_200_000): Promise<number> {
  const began = performance.now();
  let reported = began;
  for (;;) {
    const list = await cluster.kube.list<DeploymentStatus>('apps/v1', 'Deployment');
    const behind = list.items.filter((d) => !settled(d)).length;
    const seconds = (performance.now() - began) / 1000;
    if (behind === 0) return seconds;
    if (performance.now() - began > timeoutMs) throw new Error(`${behind} of ${list.items.length} Deployments not rolled out after ${seconds.toFixed(0)} s`);
    if (performance.now() - reported > 30_000) {
      log(`waiting for the controllers: ${behind} of ${list.items.length} Deployments not rolled out yet`);
      reported = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

export interface Bootstrap {
  passes: number;
  seconds: number;
}

/**
 * Passes (16 canaries at once, the cluster polled every second) until `expected` canaries of the
 * namespaces are Initialized. The stepper's identity does it: only it may label the workloads.
 */
export async function bootstrap(kubeconfig: string, namespaces: readonly string[], expected: number, timeoutMs = 900_000): Promise<Bootstrap> {
  const { deps, client } = runnerDeps(kubeconfig);
  const began = performance.now();
  let passes = 0;
  let last: PassReport | undefined;
  try {
    for (;;) {
      last = await runPass(deps, { namespaces, concurrency: 16, clusterPollMs: 1000, meshProvider: 'kubernetes' });
      passes += 1;
      const initialized = last.canaries.filter((c) => c.phase === 'Initialized').length;
      if (initialized >= expected) return { passes, seconds: (performance.now() - began) / 1000 };
      if (performance.now() - began > timeoutMs) throw new Error(`bootstrap: ${initialized}/${expected} Initialized after ${passes} passes: ${summary(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    client.close();
  }
}

function summary(report: PassReport): string {
  const tally = new Map<string, number>();
  for (const c of report.canaries) {
    const key = `${c.outcome}/${c.phase ?? '-'}${c.message ? `: ${c.message.slice(0, 120)}` : ''}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return [...tally].map(([k, n]) => `${n} x ${k}`).join('; ');
}
