// The apisix provider (flagger-compat §5.2): the user's ApisixRoute named by `spec.routeRef` stays
// as it is; Davy writes ApisixRoute `<routeRef>-<svc>-canary` (apisix.apache.org/v2) holding only
// the HTTP route of the user's that goes to the apex Service, at priority 10000 so APISIX prefers
// it, with two weighted backends: `<svc>-primary` and `<svc>-canary` (servicePort,
// resolveGranularity and subset copied from the user's backend). At weight 0 the copy's backend
// stays listed with weight 0, and the route still serves everything from the stable pods. The
// clone is rebuilt from the user's route every pass, so host, path and plugin edits reach it, and
// deleted on finalize. No A/B, no mirroring.
import { effectiveService } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { deleteIfOurs, namespacedRef } from './objects.js';
import { splitRouter, writeOwned } from './owned-object.js';
import { STABLE_ROUTES, routesFromWeights, type RouterFactory, type Routes } from './router.js';
import { reconcileServices } from './services.js';

export const APISIX_API_VERSION = 'apisix.apache.org/v2';
/** Above any priority users set by hand, so the canary route wins over the user's same match. */
export const CANARY_ROUTE_PRIORITY = 10000;

interface Backend {
  serviceName: string;
  servicePort?: number | string;
  weight?: number;
  resolveGranularity?: string;
  subset?: string;
}

interface HttpRoute {
  name: string;
  priority?: number;
  backends?: Backend[];
  [key: string]: unknown;
}

export interface ApisixRoute extends KubeObject {
  kind: 'ApisixRoute';
  spec?: { http?: HttpRoute[]; [key: string]: unknown };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'apisix');
const routeRef = (canary: Canary, name: string) => namespacedRef(canary, APISIX_API_VERSION, 'ApisixRoute', name);
const cloneName = (canary: Canary, routeName: string): string => `${routeName}-${serviceOf(canary).name}-canary`;
const missingRef = (): Result<never> => fail('InvalidSpec', 'spec.routeRef: apisix needs the ApisixRoute that routes to the apex Service');

/** The user's HTTP route to the apex Service, which must have that Service as its only backend. */
async function apexRoute(kube: KubeClient, canary: Canary): Promise<Result<{ name: string; route: HttpRoute }>> {
  const name = canary.spec.routeRef?.name;
  if (!name) return missingRef();
  const where = `spec.routeRef: ApisixRoute ${canary.metadata.namespace ?? ''}/${name}`;
  const user = await kube.get<ApisixRoute>(routeRef(canary, name));
  if (!user) return fail('InvalidSpec', `${where} not found`);
  const svc = serviceOf(canary);
  const route = user.spec?.http?.find((r) => r.backends?.some((b) => b.serviceName === svc.name));
  if (!route) return fail('InvalidSpec', `${where} has no HTTP route to Service ${svc.name}`);
  if (route.backends?.length !== 1) return fail('InvalidSpec', `${where}: its route ${route.name} must have ${svc.name} as its only backend, not ${route.backends?.length ?? 0}`);
  return ok({ name, route });
}

export function canaryRoute(canary: Canary, user: HttpRoute, routes: Routes): HttpRoute {
  const svc = serviceOf(canary);
  const { serviceName: _apex, weight: _weight, ...backend } = user.backends?.[0] ?? { serviceName: svc.name };
  return {
    ...structuredClone(user),
    priority: CANARY_ROUTE_PRIORITY,
    backends: [
      { ...backend, serviceName: svc.primaryName, weight: routes.primary },
      { ...backend, serviceName: svc.canaryName, weight: routes.canary },
    ],
  };
}

function readRoutes(clone: ApisixRoute, canary: Canary): Result<Routes> {
  const svc = serviceOf(canary);
  const where = `ApisixRoute ${clone.metadata.namespace ?? ''}/${clone.metadata.name ?? ''}`;
  const backends = clone.spec?.http?.[0]?.backends ?? [];
  const weightOf = (name: string) => backends.find((b) => b.serviceName === name)?.weight;
  const primary = weightOf(svc.primaryName);
  const canaryWeight = weightOf(svc.canaryName);
  if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where} does not weigh ${svc.primaryName} and ${svc.canaryName}`);
  return routesFromWeights(primary, canaryWeight, where);
}

async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, 'apisix', 'primary');
  if (!services.ok) return services;
  const user = await apexRoute(kube, canary);
  if (!user.ok) return failed(user);
  const name = cloneName(canary, user.value.name);
  const existing = await kube.get<ApisixRoute>(routeRef(canary, name));
  const current = existing && readRoutes(existing, canary);
  const http = [canaryRoute(canary, user.value.route, routes ?? (current?.ok ? current.value : STABLE_ROUTES))];
  return writeOwned(kube, canary, { apiVersion: APISIX_API_VERSION, kind: 'ApisixRoute', metadata: ownedMetadata(canary, name), spec: { http } }, existing);
}

export const apisixRouter: RouterFactory = ({ kube }) => splitRouter(kube, 'apisix', 'an ApisixRoute', {
  converge: (canary, routes) => converge(kube, canary, routes),
  async read(canary) {
    const name = canary.spec.routeRef?.name;
    if (!name) return missingRef();
    const clone = await kube.get<ApisixRoute>(routeRef(canary, cloneName(canary, name)));
    return clone ? readRoutes(clone, canary) : fail('NotReconciled', `ApisixRoute ${canary.metadata.namespace ?? ''}/${cloneName(canary, name)} not found`);
  },
  async remove(canary) {
    const name = canary.spec.routeRef?.name;
    if (name) await deleteIfOurs(kube, canary, routeRef(canary, cloneName(canary, name)));
  },
});
