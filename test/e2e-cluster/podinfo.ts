// podinfo on the real node, and a blue/green Canary over it, for the in-cluster suite. The images
// are built from podinfo's Go module by hack/node-images.sh: 6.9.2 as released, 6.9.3 the same
// source with that version string, so a `kubectl set image` is a real change of image.
import { eventually } from '../harness/process.js';
import { REAL_NODE } from '../harness/install.js';
import type { Cluster } from '../harness/cluster.js';
import type { KubeObject } from '../../src/kube/client.js';

export const PODINFO = 'localhost/podinfo:6.9.2';
export const PODINFO_NEXT = 'localhost/podinfo:6.9.3';

export interface Pod extends KubeObject {
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { podIP?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

export interface CanaryStatus extends KubeObject {
  status?: { phase?: string; iterations?: number; failedChecks?: number };
}

export interface EventObject extends KubeObject {
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
  firstTimestamp?: string;
  eventTime?: string;
}

/** The user's podinfo: real readiness on /readyz, two replicas, on the real node. */
export function podinfoDeployment(namespace: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo', namespace, labels: { app: 'podinfo' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: {
          ...REAL_NODE,
          terminationGracePeriodSeconds: 5,
          containers: [{
            name: 'podinfod', image: PODINFO,
            command: ['./podinfo', '--port=9898', '--port-metrics=9797', '--level=info'],
            ports: [{ name: 'http', containerPort: 9898 }, { name: 'http-metrics', containerPort: 9797 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 9898 }, periodSeconds: 1 },
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
          }],
        },
      },
    },
  };
}

/** Blue/green over the kubernetes provider: no mesh, no metrics, readiness and iterations only. */
export function blueGreenCanary(namespace: string, { iterations = 3, progressDeadlineSeconds = 120 } = {}): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace },
    spec: {
      provider: 'kubernetes',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      progressDeadlineSeconds,
      service: { port: 9898, portDiscovery: true },
      analysis: { interval: '10s', threshold: 2, iterations },
    },
  };
}

export async function apply(cluster: Cluster, objects: KubeObject[]): Promise<void> {
  await cluster.kubectlOk(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
}

export async function canaryPhase(cluster: Cluster, namespace: string, phase: string, timeoutMs: number): Promise<CanaryStatus> {
  return eventually(`Canary ${namespace}/podinfo to reach ${phase}`, async () => {
    const canary = await cluster.kube.get<CanaryStatus>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace, name: 'podinfo' });
    return canary?.status?.phase === phase ? canary : undefined;
  }, timeoutMs, 500);
}

export async function pods(cluster: Cluster, namespace: string, selector: string): Promise<Pod[]> {
  const list = await cluster.kube.list<Pod>('v1', 'Pod', namespace, { labelSelector: selector });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

export const isReady = (pod: Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export const readySince = (pod: Pod): number =>
  Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '');

/** The Canary's Events, oldest first (whole-second timestamps tie; resourceVersions do not). */
export async function canaryEvents(cluster: Cluster, namespace: string): Promise<EventObject[]> {
  const list = await cluster.kube.list<EventObject>('v1', 'Event', namespace);
  return list.items.filter((e) => e.involvedObject.kind === 'Canary')
    .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

/** What the apex Service answers on /version, through kube-proxy's rules from the host. */
export async function servedVersion(cluster: Cluster, namespace: string, service = 'podinfo'): Promise<string> {
  const svc = await cluster.kube.get<KubeObject & { spec: { clusterIP: string } }>({ apiVersion: 'v1', kind: 'Service', namespace, name: service });
  if (!svc) throw new Error(`no Service ${namespace}/${service}`);
  const response = await fetch(`http://${svc.spec.clusterIP}:9898/version`, { signal: AbortSignal.timeout(2_000) });
  return ((await response.json()) as { version: string }).version;
}
