// The appmesh:v1beta2 provider (flagger-compat §5.2), App Mesh through its Kubernetes controller
// (appmesh.k8s.aws/v1beta2):
//
// - VirtualNodes `<svc>-primary` and `<svc>-canary`: the pods the -primary and -canary Services
//   select, one listener on the target port, DNS discovery by those Services' names, and the
//   Canary's `service.backends` as the virtual services they may call;
// - VirtualRouter `<svc>` whose route splits between the two nodes by weight, and VirtualRouter
//   `<svc>-canary` that sends everything to the copy (for tests that call the copy by name);
// - VirtualServices `<svc>` and `<svc>-canary` (awsName `<name>.<ns>.svc.cluster.local`), each
//   provided by its router.
//
// `service.timeout` and `service.retries` become the routes' per-request timeout and retry policy.
// A/B: route `<svc>-a` (priority 10) with the match entry's headers carries the weights, route
// `<svc>-b` (priority 20) keeps everything else on the stable node. App Mesh matches a header
// exactly, by prefix, suffix or regex; one match entry (its headers are ANDed). No mirroring.
// All objects are Davy's, deleted on finalize; the mesh then routes the apex Service's DNS name
// as plain Kubernetes does, to the stable pods.
import { effectiveAnalysis, effectiveService, type EffectiveService } from '../api/defaults.js';
import { parseDuration } from '../api/durations.js';
import { matchPath, matchProblem } from '../api/router-match.js';
import type { Canary, StringMatch } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import type { Service } from '../workloads/types.js';
import { deleteIfOurs, namespacedRef } from './objects.js';
import { splitRouter, writeOwned } from './owned-object.js';
import { STABLE_ROUTES, routesFromWeights, type RouterFactory, type Routes } from './router.js';
import { reconcileServices } from './services.js';

export const APPMESH_API_VERSION = 'appmesh.k8s.aws/v1beta2';

interface WeightedTarget {
  virtualNodeRef: { name: string };
  weight: number;
}

interface Duration {
  unit: 'ms';
  value: number;
}

interface MeshRoute {
  name: string;
  priority?: number;
  httpRoute: {
    match: { prefix: string; headers?: { name: string; match: StringMatch }[] };
    action: { weightedTargets: WeightedTarget[] };
    timeout?: { perRequest: Duration };
    retryPolicy?: { maxRetries: number; perRetryTimeout: Duration; httpRetryEvents: string[] };
  };
}

export interface VirtualRouter extends KubeObject {
  kind: 'VirtualRouter';
  spec?: { listeners?: unknown[]; routes?: MeshRoute[] };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'appmesh:v1beta2');
const namespaceOf = (canary: Canary) => canary.metadata.namespace ?? '';
const ref = (canary: Canary, kind: string, name: string) => namespacedRef(canary, APPMESH_API_VERSION, kind, name);
const dnsName = (canary: Canary, name: string) => `${name}.${namespaceOf(canary)}.svc.cluster.local`;

/** The listener: the numeric target port (else the Service port), HTTP unless the Canary says gRPC. */
function portMapping(canary: Canary, svc: EffectiveService): { port: number; protocol: string } {
  const grpc = canary.spec.service.appProtocol === 'grpc' || svc.portName === 'grpc';
  return { port: typeof svc.targetPort === 'number' ? svc.targetPort : svc.port, protocol: grpc ? 'grpc' : 'http' };
}

const targets = (svc: EffectiveService, routes: Routes): WeightedTarget[] => [
  { virtualNodeRef: { name: svc.primaryName }, weight: routes.primary },
  { virtualNodeRef: { name: svc.canaryName }, weight: routes.canary },
];

const ms = (text: string | undefined): Duration | undefined => {
  const value = text === undefined ? undefined : parseDuration(text);
  return value === undefined ? undefined : { unit: 'ms', value };
};

/** service.timeout and service.retries as App Mesh route options (retries on 5xx and gateway errors). */
function routeOptions(canary: Canary): Pick<MeshRoute['httpRoute'], 'timeout' | 'retryPolicy'> {
  const { timeout, retries } = canary.spec.service;
  const perRequest = ms(timeout);
  const perRetry = ms(retries?.perTryTimeout) ?? perRequest;
  return {
    ...(perRequest ? { timeout: { perRequest } } : {}),
    ...(retries?.attempts !== undefined && perRetry ? { retryPolicy: { maxRetries: retries.attempts, perRetryTimeout: perRetry, httpRetryEvents: ['server-error', 'gateway-error'] } } : {}),
  };
}

/** The apex router's routes for `routes`: one weighted route, or the A/B pair. */
export function apexRoutes(canary: Canary, routes: Routes): Result<MeshRoute[]> {
  const svc = serviceOf(canary);
  const prefix = canary.spec.service.match?.[0]?.uri?.prefix ?? '/';
  const options = routeOptions(canary);
  if (effectiveAnalysis(canary.spec, { meshProvider: 'appmesh:v1beta2' }).strategy !== 'ab-testing') {
    return ok([{ name: `${svc.name}-route`, httpRoute: { match: { prefix }, action: { weightedTargets: targets(svc, routes) }, ...options } }]);
  }
  const match = canary.spec.analysis?.match ?? [];
  const problem = matchProblem('appmesh:v1beta2', match);
  if (problem) return fail('InvalidSpec', `${matchPath(problem)}: ${problem.reason}`);
  const headers = Object.entries(match[0]?.headers ?? {}).map(([name, value]) => ({ name, match: structuredClone(value) }));
  return ok([
    { name: `${svc.name}-a`, priority: 10, httpRoute: { match: { prefix, headers }, action: { weightedTargets: targets(svc, routes) }, ...options } },
    { name: `${svc.name}-b`, priority: 20, httpRoute: { match: { prefix }, action: { weightedTargets: targets(svc, STABLE_ROUTES) }, ...options } },
  ]);
}

function readRoutes(router: VirtualRouter, canary: Canary): Result<Routes> {
  const svc = serviceOf(canary);
  const where = `VirtualRouter ${router.metadata.namespace ?? ''}/${router.metadata.name ?? ''}`;
  const weighted = router.spec?.routes?.[0]?.httpRoute?.action?.weightedTargets ?? [];
  const weightOf = (name: string) => weighted.find((t) => t.virtualNodeRef?.name === name)?.weight;
  const primary = weightOf(svc.primaryName);
  const canaryWeight = weightOf(svc.canaryName);
  if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where}: its first route does not weigh ${svc.primaryName} and ${svc.canaryName}`);
  return routesFromWeights(primary, canaryWeight, where);
}

/** A VirtualNode for the pods a Service selects, reached by that Service's DNS name. */
async function virtualNode(kube: KubeClient, canary: Canary, name: string): Promise<Result<KubeObject>> {
  const service = await kube.get<Service>(namespacedRef(canary, 'v1', 'Service', name));
  if (!service?.spec?.selector) return fail('NotReconciled', `Service ${namespaceOf(canary)}/${name} has no selector yet`);
  const backends = (canary.spec.service.backends ?? []).map((b) =>
    ({ virtualService: b.startsWith('arn:') ? { virtualServiceARN: b } : { virtualServiceRef: { name: b } } }));
  return ok({
    apiVersion: APPMESH_API_VERSION,
    kind: 'VirtualNode',
    metadata: ownedMetadata(canary, name),
    spec: {
      podSelector: { matchLabels: { ...service.spec.selector } },
      listeners: [{ portMapping: portMapping(canary, serviceOf(canary)) }],
      serviceDiscovery: { dns: { hostname: dnsName(canary, name) } },
      ...(backends.length ? { backends } : {}),
    },
  });
}

function virtualRouter(canary: Canary, name: string, routes: MeshRoute[]): VirtualRouter {
  return { apiVersion: APPMESH_API_VERSION, kind: 'VirtualRouter', metadata: ownedMetadata(canary, name), spec: { listeners: [{ portMapping: portMapping(canary, serviceOf(canary)) }], routes } };
}

function virtualService(canary: Canary, name: string): KubeObject {
  return {
    apiVersion: APPMESH_API_VERSION,
    kind: 'VirtualService',
    metadata: ownedMetadata(canary, name),
    spec: { awsName: dnsName(canary, name), provider: { virtualRouter: { virtualRouterRef: { name } } } },
  };
}

async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, 'appmesh:v1beta2', 'primary');
  if (!services.ok) return services;
  const svc = serviceOf(canary);
  const existing = await kube.get<VirtualRouter>(ref(canary, 'VirtualRouter', svc.name));
  const current = existing && readRoutes(existing, canary);
  const apex = apexRoutes(canary, routes ?? (current?.ok ? current.value : STABLE_ROUTES));
  if (!apex.ok) return failed(apex);
  const nodes = await Promise.all([svc.primaryName, svc.canaryName].map((name) => virtualNode(kube, canary, name)));
  const toCanary: MeshRoute = { name: `${svc.canaryName}-route`, httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNodeRef: { name: svc.canaryName }, weight: 100 }] } } };
  const desired: KubeObject[] = [];
  for (const node of nodes) {
    if (!node.ok) return failed(node);
    desired.push(node.value);
  }
  desired.push(virtualRouter(canary, svc.canaryName, [toCanary]), virtualService(canary, svc.canaryName), virtualRouter(canary, svc.name, apex.value), virtualService(canary, svc.name));
  for (const object of desired) {
    const name = object.metadata.name ?? '';
    const written = await writeOwned(kube, canary, object, name === svc.name && object.kind === 'VirtualRouter' ? existing : await kube.get(ref(canary, object.kind, name)));
    if (!written.ok) return written;
  }
  return ok(undefined);
}

export const appmeshRouter: RouterFactory = ({ kube }) => splitRouter(kube, 'appmesh:v1beta2', 'App Mesh', {
  converge: (canary, routes) => converge(kube, canary, routes),
  async read(canary) {
    const router = await kube.get<VirtualRouter>(ref(canary, 'VirtualRouter', serviceOf(canary).name));
    return router ? readRoutes(router, canary) : fail('NotReconciled', `VirtualRouter ${namespaceOf(canary)}/${serviceOf(canary).name} not found`);
  },
  async remove(canary) {
    const svc = serviceOf(canary);
    for (const [kind, name] of [['VirtualService', svc.name], ['VirtualService', svc.canaryName], ['VirtualRouter', svc.name], ['VirtualRouter', svc.canaryName], ['VirtualNode', svc.primaryName], ['VirtualNode', svc.canaryName]] as const) {
      await deleteIfOurs(kube, canary, ref(canary, kind, name));
    }
  },
});
