// The gloo provider (flagger-compat §5.2): two Kubernetes Upstreams (gloo.solo.io/v1)
// `<ns>-<svc>-primaryupstream-<port>` and `<ns>-<svc>-canaryupstream-<port>` for the -primary and
// -canary Services, and a RouteTable `<svc>` (gateway.solo.io/v1) that the user's Gloo
// VirtualService delegates to. Its route inherits the parent's path matchers and splits by the
// weights of a multi-destination action. Connection settings of the Upstream named by
// `spec.upstreamRef` (TLS, circuit breakers, load balancing, HTTP/2, window sizes, proxy host) are
// copied to both Upstreams, so the copy is called exactly as the stable pods are.
//
// A/B: one route per `analysis.match` entry with its header matchers (exact, or regex), then a
// route that keeps unmatched requests on the stable pods. Flagger puts the matchers on its only
// route, so requests that do not match are not routed by the table at all; Davy keeps serving
// them. No mirroring.
import { effectiveAnalysis, effectiveService, type EffectiveService } from '../api/defaults.js';
import { matchPath, matchProblem } from '../api/router-match.js';
import type { Canary, HTTPMatchRequest } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { deleteIfOurs, namespacedRef } from './objects.js';
import { splitRouter, writeOwned } from './owned-object.js';
import { STABLE_ROUTES, routesFromWeights, type RouterFactory, type Routes } from './router.js';
import { reconcileServices } from './services.js';

export const GLOO_API_VERSION = 'gloo.solo.io/v1';
export const GLOO_GATEWAY_API_VERSION = 'gateway.solo.io/v1';

/** The Upstream settings Flagger copies from upstreamRef. */
const COPIED_SETTINGS = [
  'sslConfig', 'circuitBreakers', 'connectionConfig', 'loadBalancerConfig', 'useHttp2',
  'initialStreamWindowSize', 'initialConnectionWindowSize', 'httpProxyHostname',
] as const;

interface Destination {
  destination: { upstream: { name: string; namespace: string } };
  weight: number;
}

interface HeaderMatcher {
  name: string;
  value: string;
  regex?: boolean;
}

interface GlooRoute {
  inheritablePathMatchers: boolean;
  matchers?: { headers: HeaderMatcher[] }[];
  routeAction: { multi: { destinations: Destination[] } };
}

export interface RouteTable extends KubeObject {
  kind: 'RouteTable';
  spec?: { routes?: GlooRoute[] };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'gloo');
const namespaceOf = (canary: Canary) => canary.metadata.namespace ?? '';
export const upstreamName = (canary: Canary, service: string): string => `${namespaceOf(canary)}-${service}upstream-${serviceOf(canary).port}`;
const upstreamRef = (canary: Canary, name: string) => namespacedRef(canary, GLOO_API_VERSION, 'Upstream', name);
const tableRef = (canary: Canary) => namespacedRef(canary, GLOO_GATEWAY_API_VERSION, 'RouteTable', serviceOf(canary).name);

/** The header matchers of one match entry (exact, or regex). */
export function glooMatchers(match: HTTPMatchRequest): HeaderMatcher[] {
  return Object.entries(match.headers ?? {}).map(([name, value]) =>
    value.exact !== undefined ? { name, value: value.exact } : { name, value: value.regex ?? '', regex: true });
}

export function routeTableRoutes(canary: Canary, routes: Routes): Result<GlooRoute[]> {
  const svc = serviceOf(canary);
  const action = (r: Routes) => ({
    multi: {
      destinations: [[svc.primaryName, r.primary] as const, [svc.canaryName, r.canary] as const].map(([service, weight]) => ({
        destination: { upstream: { name: upstreamName(canary, service), namespace: namespaceOf(canary) } },
        weight,
      })),
    },
  });
  const weighted: GlooRoute = { inheritablePathMatchers: true, routeAction: action(routes) };
  if (effectiveAnalysis(canary.spec, { meshProvider: 'gloo' }).strategy !== 'ab-testing') return ok([weighted]);
  const problem = matchProblem('gloo', canary.spec.analysis?.match ?? []);
  if (problem) return fail('InvalidSpec', `${matchPath(problem)}: ${problem.reason}`);
  const matched = (canary.spec.analysis?.match ?? []).map((entry): GlooRoute => ({ ...weighted, matchers: [{ headers: glooMatchers(entry) }] }));
  return ok([...matched, { inheritablePathMatchers: true, routeAction: action(STABLE_ROUTES) }]);
}

function readRoutes(table: RouteTable, canary: Canary): Result<Routes> {
  const where = `RouteTable ${table.metadata.namespace ?? ''}/${table.metadata.name ?? ''}`;
  const destinations = table.spec?.routes?.[0]?.routeAction?.multi?.destinations ?? [];
  const weightOf = (service: string) => destinations.find((d) => d.destination.upstream.name === upstreamName(canary, service))?.weight;
  const svc = serviceOf(canary);
  const primary = weightOf(svc.primaryName);
  const canaryWeight = weightOf(svc.canaryName);
  if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where}: its first route does not weigh the Upstreams of ${svc.primaryName} and ${svc.canaryName}`);
  return routesFromWeights(primary, canaryWeight, where);
}

/** The settings of the Upstream named by upstreamRef, or why they cannot be read. */
async function copiedSettings(kube: KubeClient, canary: Canary): Promise<Result<Record<string, unknown>>> {
  const ref = canary.spec.upstreamRef;
  if (!ref) return ok({});
  const namespace = ref.namespace ?? namespaceOf(canary);
  const found = await kube.get<KubeObject & { spec?: Record<string, unknown> }>({ apiVersion: GLOO_API_VERSION, kind: 'Upstream', name: ref.name, namespace });
  if (!found) return fail('InvalidSpec', `spec.upstreamRef: Upstream ${namespace}/${ref.name} not found`);
  return ok(Object.fromEntries(COPIED_SETTINGS.filter((key) => found.spec?.[key] !== undefined).map((key) => [key, structuredClone(found.spec?.[key])])));
}

function upstream(canary: Canary, svc: EffectiveService, service: string, settings: Record<string, unknown>): KubeObject {
  return {
    apiVersion: GLOO_API_VERSION,
    kind: 'Upstream',
    metadata: ownedMetadata(canary, upstreamName(canary, service)),
    spec: { ...settings, kube: { serviceName: service, serviceNamespace: namespaceOf(canary), servicePort: svc.port } },
  };
}

async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, 'gloo', 'primary');
  if (!services.ok) return services;
  const settings = await copiedSettings(kube, canary);
  if (!settings.ok) return failed(settings);
  const svc = serviceOf(canary);
  for (const service of [svc.primaryName, svc.canaryName]) {
    const desired = upstream(canary, svc, service, settings.value);
    const written = await writeOwned(kube, canary, desired, await kube.get(upstreamRef(canary, upstreamName(canary, service))));
    if (!written.ok) return written;
  }
  const existing = await kube.get<RouteTable>(tableRef(canary));
  const current = existing && readRoutes(existing, canary);
  const built = routeTableRoutes(canary, routes ?? (current?.ok ? current.value : STABLE_ROUTES));
  if (!built.ok) return failed(built);
  const table: RouteTable = { apiVersion: GLOO_GATEWAY_API_VERSION, kind: 'RouteTable', metadata: ownedMetadata(canary, svc.name), spec: { routes: built.value } };
  return writeOwned(kube, canary, table, existing);
}

export const glooRouter: RouterFactory = ({ kube }) => splitRouter(kube, 'gloo', 'a RouteTable', {
  converge: (canary, routes) => converge(kube, canary, routes),
  async read(canary) {
    const table = await kube.get<RouteTable>(tableRef(canary));
    return table ? readRoutes(table, canary) : fail('NotReconciled', `RouteTable ${namespaceOf(canary)}/${serviceOf(canary).name} not found`);
  },
  async remove(canary) {
    await deleteIfOurs(kube, canary, tableRef(canary));
    const svc = serviceOf(canary);
    for (const service of [svc.primaryName, svc.canaryName]) await deleteIfOurs(kube, canary, upstreamRef(canary, upstreamName(canary, service)));
  },
});
