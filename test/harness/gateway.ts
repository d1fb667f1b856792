// Real traffic on the real node (issue 12), for the in-cluster suite and `make demo`: Traefik as the Gateway API data plane on the
// real node (hack/real-node/traefik.yaml), a real Prometheus on the host scraping Traefik and
// reachable from pods as prometheus.monitoring:9090 (the address Davy's shipped Traefik
// MetricTemplates name), Flagger's load tester where the tutorials expect it, and a client that
// sends requests through the gateway and says which podinfo version answered each.
import http from 'node:http';
import path from 'node:path';
import { REAL_NODE } from './install.js';
import { eventually } from './process.js';
import { startPrometheus, promQuery, type PrometheusServer } from './prometheus.js';
import type { Cluster } from './cluster.js';
import type { KubeObject } from '../../src/kube/client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const LOADTESTER_IMAGE = 'localhost/flagger-loadtester:1.36.1';
const GATEWAY_KINDS = [
  'gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants', 'backendtlspolicies',
];
const TRAEFIK_CRDS = 'test/fixtures/crds/traefik-v3.6.12.yaml';
const TRAEFIK_KINDS = [
  'ingressroutes', 'ingressroutetcps', 'ingressrouteudps', 'middlewares', 'middlewaretcps', 'traefikservices',
  'tlsoptions', 'tlsstores', 'serverstransports', 'serverstransporttcps',
];

export interface Gateway {
  /** The Gateway's entry from the host and from pods: Service traefik.traefik, port 80. */
  address: string;
  /** Traefik's API (its running configuration), from the host: the pod's address, port 9101. */
  api: string;
  prometheus: PrometheusServer;
  stop(): Promise<void>;
}

interface ServiceObject extends KubeObject { spec: { clusterIP: string } }
interface PodObject extends KubeObject { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }
interface GatewayObject extends KubeObject { status?: { conditions?: { type: string; status: string }[] } }

/**
 * Waits until the CRDs are served. `kubectl wait` fails at once, instead of waiting, on a CRD that
 * has no conditions yet ("<nil> is of the type <nil>"): retried.
 */
async function established(cluster: Cluster, crds: string[]): Promise<void> {
  const wait = ['wait', '--for=condition=Established', '--timeout=60s', ...crds];
  const done = async () => ((await cluster.kubectl(wait)).code === 0 ? true : undefined);
  await eventually('the CRDs to be Established', done, 90_000, 500);
}

/**
 * Installs the Gateway API CRDs, Traefik's own CRDs and Traefik, waits until Traefik has programmed
 * the Gateway, and starts Prometheus scraping Traefik's metrics every second. Davy's Traefik
 * MetricTemplates are applied from deploy/metrics/traefik as shipped; a selector-less Service
 * monitoring/prometheus with an EndpointSlice sends their address to the host's Prometheus.
 */
export async function startGateway(cluster: Cluster, stateDir: string): Promise<Gateway> {
  await cluster.kubectlOk(['apply', '--server-side', '-f', path.join(ROOT, 'test/fixtures/crds/gateway-api')]);
  // Traefik's own CRDs too: its kubernetescrd provider lists all ten kinds, and fails to start without them.
  await cluster.kubectlOk(['apply', '--server-side', '-f', path.join(ROOT, TRAEFIK_CRDS)]);
  await established(cluster, [
    ...GATEWAY_KINDS.map((k) => `crd/${k}.gateway.networking.k8s.io`),
    ...TRAEFIK_KINDS.map((k) => `crd/${k}.traefik.io`),
  ]);
  await cluster.kubectlOk(['apply', '-f', path.join(ROOT, 'hack/real-node/traefik.yaml')]);
  await cluster.kubectlOk(['-n', 'traefik', 'rollout', 'status', 'deployment/traefik', '--timeout=120s']);
  await eventually('Traefik to program the Gateway', async () => {
    const gateway = await cluster.kube.get<GatewayObject>({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace: 'traefik', name: 'gateway' });
    return gateway?.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') ? true : undefined;
  }, 60_000, 500);
  // Its readiness probe (every second) can miss under load: the pod is waited for, not found once.
  const traefik = await eventually('a ready Traefik pod', async () => {
    const pods = await cluster.kube.list<PodObject>('v1', 'Pod', 'traefik', { labelSelector: 'app=traefik' });
    const ready = (p: PodObject) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return pods.items.find((p) => !p.metadata.deletionTimestamp && ready(p) && p.status?.podIP);
  }, 60_000, 500);
  if (!traefik.status?.podIP) throw new Error('no ready Traefik pod');
  const prometheus = await startPrometheus(
    process.env.DAVY_E2E_PROMETHEUS ?? 'prometheus', path.join(stateDir, 'prometheus'), [`${traefik.status.podIP}:9100`], 1, '0.0.0.0',
  );
  const nodeIP = process.env.REAL_NODE_IP;
  if (!nodeIP) throw new Error('REAL_NODE_IP is not set (hack/cluster.sh writes it with DAVY_REAL_NODE=1)');
  // A previous gateway's stop() does not wait for its monitoring namespace to go: nothing can be
  // created in it while it terminates.
  await eventually('namespace monitoring not to be terminating', async () => {
    const namespace = await cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'monitoring' });
    return namespace?.metadata.deletionTimestamp ? undefined : true;
  }, 120_000, 500);
  await cluster.kubectlOk(['apply', '-f', '-'], [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'prometheus', namespace: 'monitoring' }, spec: { ports: [{ name: 'web', port: 9090 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'prometheus-host', namespace: 'monitoring', labels: { 'kubernetes.io/service-name': 'prometheus' } },
      addressType: 'IPv4', endpoints: [{ addresses: [nodeIP] }], ports: [{ name: 'web', port: prometheus.port, protocol: 'TCP' }],
    },
  ].map((o) => JSON.stringify(o)).join('\n'));
  await cluster.kubectlOk(['apply', '-k', path.join(ROOT, 'deploy/metrics/traefik')]);
  const service = await cluster.kube.get<ServiceObject>({ apiVersion: 'v1', kind: 'Service', namespace: 'traefik', name: 'traefik' });
  const stop = async () => {
    await cluster.kubectlOk(['delete', 'namespace', 'monitoring', '--wait=false', '--ignore-not-found']);
    await prometheus.stop();
  };
  return { address: `${service!.spec.clusterIP}:80`, api: `${traefik.status.podIP}:9101`, prometheus, stop };
}

/** Flagger's load tester as its tutorials install it (Service flagger-loadtester, port 80), on the real node. */
export function loadTester(namespace: string): KubeObject[] {
  const labels = { app: 'flagger-loadtester' };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'flagger-loadtester', namespace, labels },
      spec: {
        replicas: 1, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...REAL_NODE,
            terminationGracePeriodSeconds: 1,
            containers: [{
              name: 'loadtester', image: LOADTESTER_IMAGE, imagePullPolicy: 'Never',
              args: ['-port=8080', '-log-level=info', '-timeout=1h'],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'flagger-loadtester', namespace },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    },
  ];
}

/** What a request through the gateway asks for: a host name (the route's), a path, headers. */
export interface Target {
  host: string;
  /** Default /version: podinfo answers its version. */
  path?: string;
  headers?: Record<string, string>;
}

/** One GET through the gateway: the status, the headers and the parsed JSON body (undefined if not JSON). */
export function ask(gateway: Gateway, agent: http.Agent, target: Target): Promise<{ status: number; body: unknown; headers: http.IncomingHttpHeaders }> {
  const [hostname, port] = gateway.address.split(':');
  return new Promise((resolve, reject) => {
    const headers = { host: target.host, ...target.headers };
    const request = http.get({ hostname, port: Number(port), path: target.path ?? '/version', agent, headers, timeout: 10_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => {
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: response.statusCode ?? 0, body, headers: response.headers });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out'))).on('error', reject);
  });
}

/** Who answered: podinfo's version, or `HTTP <code>` for an error, or `unparsable`. */
async function answeredBy(gateway: Gateway, agent: http.Agent, target: Target): Promise<string> {
  const { status, body } = await ask(gateway, agent, target);
  if (status !== 200) return `HTTP ${status}`;
  return (body as { version?: string } | undefined)?.version ?? 'unparsable';
}

/** Sends `count` requests through the gateway, four at a time, and counts who answered them. */
export async function versionsServed(gateway: Gateway, target: Target, count: number): Promise<Map<string, number>> {
  const served = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    for (let sent = 0; sent < count; sent += 4) {
      for (const who of await Promise.all(Array.from({ length: Math.min(4, count - sent) }, () => answeredBy(gateway, agent, target)))) {
        served.set(who, (served.get(who) ?? 0) + 1);
      }
    }
  } finally {
    agent.destroy();
  }
  return served;
}

/** What Traefik routes by now: its running configuration's routers and services, by name. */
export interface TraefikConfig {
  routers: Record<string, { rule?: string; service?: string }>;
  services: Record<string, { weighted?: { services?: { name: string; weight?: number }[] } }>;
}

/** Traefik's running configuration, from its API (`/api/rawdata`). */
async function traefikConfig(gateway: Gateway): Promise<TraefikConfig> {
  const response = await fetch(`http://${gateway.api}/api/rawdata`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`Traefik's API answered ${response.status}`);
  const raw = await response.json() as Partial<TraefikConfig>;
  return { routers: raw.routers ?? {}, services: raw.services ?? {} };
}

/**
 * Until Traefik's running configuration satisfies `applied` (`what` it should route in
 * `namespace`, for the log), for at most `timeoutMs`: Traefik applies what the API server stored
 * after its providers' throttle (2 s), later on a loaded machine. False when it never did, and the
 * log says so with the namespace's routers and services as Traefik has them; the requests sent
 * next then show what it routes instead.
 */
export async function untilTraefikRoutes(
  gateway: Gateway, namespace: string, what: string, applied: (config: TraefikConfig) => boolean, timeoutMs = 30_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last: TraefikConfig | undefined;
  for (;;) {
    try {
      last = await traefikConfig(gateway);
      if (applied(last)) return true;
    } catch {
      // Asked again below: a restarting Traefik answers nothing for a moment.
    }
    if (Date.now() > deadline) {
      const mine = <T>(byName: Record<string, T> = {}) => Object.fromEntries(Object.entries(byName).filter(([name]) => name.includes(namespace)));
      console.log(`      Traefik did not route ${what} within ${timeoutMs} ms: ${JSON.stringify({ routers: mine(last?.routers), services: mine(last?.services) })}`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const withoutProvider = (name: string) => name.replace(/@[^@]*$/, '');

/**
 * The canary's share, in percent, of what the service `name` of Traefik's configuration sends
 * podinfo's two Services: 100 or 0 for one of them itself, the weights' split for a weighted
 * service over both; undefined for any other service.
 */
function canaryShareOf(config: TraefikConfig, name: string, backend: TraefikBackend): number | undefined {
  const [primary, canary] = [withoutProvider(backend('primary')), withoutProvider(backend('canary'))];
  const bare = withoutProvider(name);
  if (bare === canary) return 100;
  if (bare === primary) return 0;
  const service = Object.entries(config.services).find(([key]) => withoutProvider(key) === bare)?.[1];
  const members = service?.weighted?.services ?? [];
  const weightOf = (side: string) => members.find((m) => withoutProvider(m.name) === side)?.weight;
  const [p, c] = [weightOf(primary), weightOf(canary)];
  if (p === undefined && c === undefined) return undefined;
  const total = (p ?? 0) + (c ?? 0);
  return total > 0 ? (100 * (c ?? 0)) / total : undefined;
}

/**
 * The canary's weight, in percent, in the weighted service of Traefik's configuration that splits
 * between podinfo's two Services; undefined when no service does.
 */
export function canaryWeightIn(config: TraefikConfig, backend: TraefikBackend): number | undefined {
  const [primary, canary] = [withoutProvider(backend('primary')), withoutProvider(backend('canary'))];
  const both = Object.entries(config.services).find(([, service]) => {
    const names = (service.weighted?.services ?? []).map((m) => withoutProvider(m.name));
    return names.includes(primary) && names.includes(canary);
  });
  return both ? canaryShareOf(config, both[0], backend) : undefined;
}

/**
 * The canary's share, in percent, of what the router whose rule names every one of `ruleParts`
 * (case aside: a host, a header and its value, a cookie) sends podinfo; undefined without such a
 * router.
 */
export function routedShare(config: TraefikConfig, backend: TraefikBackend, ...ruleParts: string[]): number | undefined {
  const names = (rule: string) => ruleParts.every((part) => rule.toLowerCase().includes(part.toLowerCase()));
  const router = Object.values(config.routers).find((r) => r.service !== undefined && names(r.rule ?? ''));
  return router ? canaryShareOf(config, router.service!, backend) : undefined;
}

/** Traefik's name for podinfo's `-primary` or `-canary` Service, the `service` label of its metrics. */
export type TraefikBackend = (side: 'primary' | 'canary') => string;

/** The Service as a Gateway API backendRef on port 9898 (pkg/provider/kubernetes/gateway). */
export const gatewayBackend = (namespace: string): TraefikBackend =>
  (side) => `${namespace}-podinfo-${side}-http-9898@kubernetesgateway`;

/** The Service as a TraefikService's weighted entry names it with its port (pkg/provider/kubernetes/crd). */
export const crdBackend = (namespace: string, port: number): TraefikBackend =>
  (side) => `${namespace}-podinfo-${side}-${port}@kubernetescrd`;

export interface TraefikRequests { primary: number; canary: number }

/**
 * The requests Traefik has forwarded to podinfo's two Services so far, by its counters in
 * Prometheus (0 for a Service it has not counted yet). Two readings give the split between them:
 * exact, where `increase()` over a window misses what a counter born inside it counted first.
 */
export async function traefikRequests(gateway: Gateway, backend: TraefikBackend): Promise<TraefikRequests> {
  const count = async (side: 'primary' | 'canary') => {
    const query = `sum(traefik_service_requests_total{service="${backend(side)}"})`;
    const [sample] = await promQuery(gateway.prometheus.url, query);
    return sample ? Number(sample.value[1]) : 0;
  };
  return { primary: await count('primary'), canary: await count('canary') };
}

/** The canary's share of the requests between two readings, or undefined when there were none. */
export function canaryShare(before: TraefikRequests, after: TraefikRequests): number | undefined {
  const [canary, primary] = [after.canary - before.canary, after.primary - before.primary];
  return canary + primary > 0 ? canary / (canary + primary) : undefined;
}

export interface Load {
  /** The answers since the last call, by podinfo version (or `HTTP <code>`, or `error`), and resets them. */
  take(): Map<string, number>;
  stop(): void;
}

/**
 * Steady load through the gateway: `perSecond` requests a second, each answer counted by who gave
 * it (network errors as `error`). What `make demo` sends while a release rolls out.
 */
export function startLoad(gateway: Gateway, target: Target, perSecond: number): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const timer = setInterval(() => { answeredBy(gateway, agent, target).then(count, () => count('error')); }, 1000 / perSecond);
  return {
    take: () => { const taken = counts; counts = new Map(); return taken; },
    stop: () => { clearInterval(timer); agent.destroy(); },
  };
}
