// The contour provider (flagger-compat §5.2): an HTTPProxy `<svc>` (projectcontour.io/v1) with no
// virtualhost, meant to be included from the user's root HTTPProxy. Its route sends the prefix of
// `service.match[0].uri.prefix` (default `/`) to `<svc>-primary` and `<svc>-canary` by weight,
// each with the request header `l5d-dst-override` naming the Service, so Linkerd meshes route it
// (as Flagger does). `service.timeout` and `service.retries` become the route's timeout and retry
// policies. `davy step --ingress-class` (Flagger's `-ingress-class`) sets `spec.ingressClassName`.
//
// A/B: one route per `analysis.match` entry (Contour ANDs the conditions of one route, and the
// entries are alternatives), each with the header conditions of its entry and the weights, then a
// default route to the stable pods. Contour matches a header exactly or by `contains`: prefix and
// suffix become `contains`, as in Flagger; a regex, query parameters or anything else is an
// InvalidSpec problem rather than a condition silently dropped. No mirroring.
import { effectiveAnalysis, effectiveService, type EffectiveService } from '../api/defaults.js';
import { matchPath, matchProblem } from '../api/router-match.js';
import type { Canary, HTTPMatchRequest } from '../api/types.js';
import type { KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { namespacedRef } from './objects.js';
import { ownedObjectRouter, type OwnedObjectShape } from './owned-object.js';
import { routesFromWeights, type Routes } from './router.js';

export const CONTOUR_API_VERSION = 'projectcontour.io/v1';

type Condition = { prefix: string } | { header: { name: string; exact?: string; contains?: string } };

interface ContourService {
  name: string;
  port: number;
  weight: number;
  requestHeadersPolicy?: { set: { name: string; value: string }[] };
}

interface ContourRoute {
  conditions: Condition[];
  services: ContourService[];
  timeoutPolicy?: { response: string };
  retryPolicy?: { count?: number; perTryTimeout?: string };
}

export interface HTTPProxy extends KubeObject {
  kind: 'HTTPProxy';
  spec?: { routes?: ContourRoute[]; [key: string]: unknown };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'contour');

/** The header conditions of one match entry (exact, or contains for prefix and suffix, as Flagger maps them). */
export function contourConditions(match: HTTPMatchRequest): Condition[] {
  return Object.entries(match.headers ?? {}).map(([name, value]) =>
    value.exact !== undefined ? { header: { name, exact: value.exact } } : { header: { name, contains: value.prefix ?? value.suffix ?? '' } });
}

function services(canary: Canary, svc: EffectiveService, routes: Routes): ContourService[] {
  const namespace = canary.metadata.namespace ?? '';
  return [[svc.primaryName, routes.primary] as const, [svc.canaryName, routes.canary] as const].map(([name, weight]) => ({
    name,
    port: svc.port,
    weight,
    requestHeadersPolicy: { set: [{ name: 'l5d-dst-override', value: `${name}.${namespace}.svc.cluster.local:${svc.port}` }] },
  }));
}

export function httpProxyRoutes(canary: Canary, routes: Routes): Result<ContourRoute[]> {
  const svc = serviceOf(canary);
  const { timeout, retries, match } = canary.spec.service;
  const prefix: Condition = { prefix: match?.[0]?.uri?.prefix ?? '/' };
  const policies = {
    ...(timeout ? { timeoutPolicy: { response: timeout } } : {}),
    ...(retries ? { retryPolicy: { ...(retries.attempts !== undefined ? { count: retries.attempts } : {}), ...(retries.perTryTimeout ? { perTryTimeout: retries.perTryTimeout } : {}) } } : {}),
  };
  const weighted: ContourRoute = { conditions: [prefix], ...policies, services: services(canary, svc, routes) };
  if (effectiveAnalysis(canary.spec, { meshProvider: 'contour' }).strategy !== 'ab-testing') return ok([weighted]);
  const problem = matchProblem('contour', canary.spec.analysis?.match ?? []);
  if (problem) return fail('InvalidSpec', `${matchPath(problem)}: ${problem.reason}`);
  const matched = (canary.spec.analysis?.match ?? []).map((entry): ContourRoute => ({ ...weighted, conditions: [prefix, ...contourConditions(entry)] }));
  return ok([...matched, { conditions: [prefix], ...policies, services: services(canary, svc, { primary: 100, canary: 0, mirror: false }) }]);
}

export const contourShape = (ingressClass?: string): OwnedObjectShape<HTTPProxy> => ({
  provider: 'contour',
  kind: 'HTTPProxy',
  ref: (canary) => namespacedRef(canary, CONTOUR_API_VERSION, 'HTTPProxy', serviceOf(canary).name),

  build(canary, routes) {
    const built = httpProxyRoutes(canary, routes);
    if (!built.ok) return failed(built);
    const spec = { ...(ingressClass ? { ingressClassName: ingressClass } : {}), routes: built.value };
    return ok({ apiVersion: CONTOUR_API_VERSION, kind: 'HTTPProxy', metadata: ownedMetadata(canary, serviceOf(canary).name), spec });
  },

  read(object, canary) {
    const svc = serviceOf(canary);
    const where = `HTTPProxy ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    const first = object.spec?.routes?.[0]?.services ?? [];
    const primary = first.find((s) => s.name === svc.primaryName)?.weight;
    const canaryWeight = first.find((s) => s.name === svc.canaryName)?.weight;
    if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where}: its first route does not weigh ${svc.primaryName} and ${svc.canaryName}`);
    return routesFromWeights(primary, canaryWeight, where);
  },
});

export const contourRouter = ownedObjectRouter((deps) => contourShape(deps.ingressClass));
