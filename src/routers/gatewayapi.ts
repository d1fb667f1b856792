// The gatewayapi:v1 and gatewayapi:v1beta1 providers (flagger-compat §5.2): an HTTPRoute `<svc>`
// (gateway.networking.k8s.io/v1 or /v1beta1) whose weighted rule splits traffic between
// `<svc>-primary` and `<svc>-canary`; gatewayapi-spec.ts builds it. With spec.service.routeRef
// (Davy's addition) no route is generated: the user's own HTTPRoute gets only its weights set
// (gatewayapi-route-ref.ts).
//
// An existing HTTPRoute `<svc>` that is not Davy's is adopted: its spec is recorded on it and put
// back on finalize. One Davy made is not deleted on finalize, since a Gateway serves its hostnames:
// it is released to the user routing everything to the apex Service (which then selects the
// stable pods), before the -primary and -canary Services go.
import { effectiveService, type EffectiveService } from '../api/defaults.js';
import type { GatewayApiProvider } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import {
  adoptionRecord, conflictOf, converged, ownedMetadata, ownershipOf, releasedMetadata, withAdoptionRecord, withoutAdoptionRecord,
} from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import {
  GATEWAY_API_VERSION, httpRouteSpec, notAccepted, readRouteWeights, sendsTo, serviceBackend,
  type HTTPRoute, type HTTPRouteRule, type HTTPRouteSpec,
} from './gatewayapi-spec.js';
import { convergeUserRoute, finalizeUserRoute, userRouteRef } from './gatewayapi-route-ref.js';
import { namespacedRef, write } from './objects.js';
import { STABLE_ROUTES, checkRoutes, type RouterFactory, type Routes } from './router.js';
import { finalizeServices, reconcileServices } from './services.js';

export function gatewayApiRouter(provider: GatewayApiProvider): RouterFactory {
  const apiVersion = GATEWAY_API_VERSION[provider];
  const generatedRef = (canary: Canary) => namespacedRef(canary, apiVersion, 'HTTPRoute', effectiveService(canary.spec, provider).name);
  /** The route whose weights Davy sets: the user's (routeRef) or the generated one. */
  const routeRef = (canary: Canary) => userRouteRef(canary, apiVersion) ?? generatedRef(canary);

  async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
    const services = await reconcileServices(kube, canary, provider, 'primary');
    if (!services.ok) return services;
    const svc = effectiveService(canary.spec, provider);
    const userRef = userRouteRef(canary, apiVersion);
    if (userRef) return convergeUserRoute(kube, canary, svc, userRef, routes);
    if (!canary.spec.service.gatewayRefs?.length) {
      return fail('InvalidSpec', 'spec.service.gatewayRefs: Gateway API needs the Gateways the HTTPRoute attaches to (or spec.service.routeRef)');
    }
    const existing = await kube.get<HTTPRoute>(generatedRef(canary));
    const conflict = conflictOf(canary, existing);
    if (conflict) return conflict;
    const current = existing && readRouteWeights(existing, svc);
    const spec = httpRouteSpec(canary, provider, svc, routes ?? (current?.ok ? current.value : STABLE_ROUTES));
    if (!spec.ok) return failed(spec);
    await write(kube, desiredRoute(canary, apiVersion, svc, spec.value, existing), existing);
    return ok(undefined);
  }

  return ({ kube }) => ({
    reconcile: (canary) => converge(kube, canary, undefined),

    async setRoutes(canary, routes) {
      const checked = checkRoutes(provider, routes);
      if (!checked.ok) return failed(checked);
      return converge(kube, canary, routes);
    },

    async getRoutes(canary) {
      const ref = routeRef(canary);
      const route = await kube.get<HTTPRoute>(ref);
      if (!route) return fail('NotReconciled', `HTTPRoute ${ref.namespace ?? ''}/${ref.name} not found`);
      return notAccepted(route) ?? readRouteWeights(route, effectiveService(canary.spec, provider));
    },

    async finalize(canary) {
      const svc = effectiveService(canary.spec, provider);
      const userRef = userRouteRef(canary, apiVersion);
      if (userRef) await finalizeUserRoute(kube, canary, svc, userRef);
      else {
        const route = await kube.get<HTTPRoute>(generatedRef(canary));
        const final = route && finalRoute(canary, route, svc);
        if (route && final) await write(kube, final, route);
      }
      return finalizeServices(kube, canary, provider);
    },
  });
}

function desiredRoute(canary: Canary, apiVersion: string, svc: EffectiveService, spec: HTTPRouteSpec, existing: HTTPRoute | undefined): HTTPRoute {
  const desired: HTTPRoute = { apiVersion, kind: 'HTTPRoute', metadata: ownedMetadata(canary, svc.name, canary.spec.service.apex), spec };
  if (!existing) return desired;
  if (ownershipOf(existing, canary).kind === 'ours') return converged(existing, desired);
  const original = adoptionRecord<{ spec: HTTPRouteSpec }>(existing)?.original ?? { spec: existing.spec ?? {} };
  return { ...existing, metadata: withAdoptionRecord(existing.metadata, { canary: canary.metadata.name ?? '', original }), spec };
}

/** What finalize leaves of the generated route: the adopted original, or Davy's released to the apex Service. */
function finalRoute(canary: Canary, route: HTTPRoute, svc: EffectiveService): HTTPRoute | undefined {
  const owner = ownershipOf(route, canary);
  if (owner.kind === 'adopted') {
    const original = adoptionRecord<{ spec: HTTPRouteSpec }>(route)?.original.spec ?? route.spec ?? {};
    return { ...route, metadata: withoutAdoptionRecord(route.metadata), spec: original };
  }
  if (owner.kind !== 'ours') return undefined;
  const namespace = route.metadata.namespace ?? '';
  const toApex = (rule: HTTPRouteRule): HTTPRouteRule => {
    const { filters, backendRefs: _refs, ...rest } = rule;
    const kept = (filters ?? []).filter((f) => !(f.type === 'RequestMirror' && f.requestMirror && sendsTo(f.requestMirror.backendRef, svc.canaryName, namespace)));
    return { ...rest, ...(kept.length ? { filters: kept } : {}), backendRefs: [serviceBackend(svc.name, svc.port, 1)] };
  };
  const spec = route.spec ?? {};
  return { ...route, metadata: releasedMetadata(route.metadata, canary), spec: { ...spec, rules: (spec.rules ?? []).map(toApex) } };
}
