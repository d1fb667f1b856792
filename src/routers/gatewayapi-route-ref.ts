// Davy's addition to the Gateway API router: spec.service.routeRef names the user's own HTTPRoute,
// and Davy keeps it. Flagger regenerates its route and drops the user's filters, matches, timeouts
// and extra rules (fluxcd/flagger#1857, #1737, #1888); here every rule that sends to the apex
// Service gets that backendRef split into `<svc>-primary` and `<svc>-canary` (same port, same
// backend filters) with the weights set, and nothing else changes: other rules, matches, filters,
// timeouts, parentRefs, hostnames and metadata stay as the user wrote them.
//
// The spec Davy found is recorded on the route (the adoption annotation) and written back when the
// Canary is deleted. If the user edited the route meanwhile, restoring the record would lose the
// edit, so then only the split is undone: each primary/canary pair becomes the apex backendRef again.
// The route gets no owner reference: deleting the Canary must never garbage-collect the user's route.
import type { EffectiveService } from '../api/defaults.js';
import { canonicalJson } from '../api/revision.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, ObjectRef } from '../kube/client.js';
import { adoptionRecord, conflictOf, ownershipOf, withAdoptionRecord, withoutAdoptionRecord } from '../workloads/meta.js';
import { fail, ok, type Result } from '../workloads/result.js';
import { GATEWAY_GROUP, readRouteWeights, sendsTo, type BackendRef, type HTTPRoute, type HTTPRouteRule, type HTTPRouteSpec } from './gatewayapi-spec.js';
import { namespacedRef, write } from './objects.js';
import { STABLE_ROUTES, type Routes } from './router.js';

/** The user's HTTPRoute when the Canary names one (routeRef), in the Canary's namespace. */
export function userRouteRef(canary: Canary, apiVersion: string): ObjectRef | undefined {
  const ref = canary.spec.service.routeRef;
  return ref?.name ? namespacedRef(canary, apiVersion, 'HTTPRoute', ref.name) : undefined;
}

const describe = (ref: ObjectRef) => `HTTPRoute ${ref.namespace ?? ''}/${ref.name} (spec.service.routeRef)`;

/**
 * `spec` with every backendRef to the apex Service (or to the pair already split from it) replaced
 * by the pair at `routes`. A rule that mixes the apex Service with other backends is refused: its
 * weights are relative to those backends, and no split of 100 keeps them.
 */
export function splitRoute(spec: HTTPRouteSpec, svc: EffectiveService, namespace: string, routes: Routes, name: string): Result<HTTPRouteSpec> {
  const ours = (ref: BackendRef) => [svc.name, svc.primaryName, svc.canaryName].some((n) => sendsTo(ref, n, namespace));
  let found = false;
  const rules: HTTPRouteRule[] = [];
  for (const [i, rule] of (spec.rules ?? []).entries()) {
    const refs = rule.backendRefs ?? [];
    const template = refs.find(ours);
    if (!template) {
      rules.push(rule);
      continue;
    }
    if (refs.some((ref) => !ours(ref))) {
      return fail('ObjectConflict', `${name}: rules[${i}] sends to ${svc.name} and to other backends; Davy splits only rules whose backends are all the Service ${svc.name}`);
    }
    found = true;
    const side = (service: string, weight: number): BackendRef => ({ ...structuredClone(template), name: service, weight });
    rules.push({ ...rule, backendRefs: [side(svc.primaryName, routes.primary), side(svc.canaryName, routes.canary)] });
  }
  if (!found) return fail('ObjectConflict', `${name} has no rule sending to the Service ${svc.name}`);
  return ok({ ...spec, rules });
}

/** `spec` with each primary/canary pair turned back into the apex backendRef (weight as `original` had it). */
export function unsplitRoute(spec: HTTPRouteSpec, original: HTTPRouteSpec, svc: EffectiveService, namespace: string): HTTPRouteSpec {
  const rules = (spec.rules ?? []).map((rule, i) => {
    const refs = rule.backendRefs ?? [];
    const primary = refs.find((ref) => sendsTo(ref, svc.primaryName, namespace));
    if (!primary) return rule;
    const before = original.rules?.[i]?.backendRefs?.find((ref) => sendsTo(ref, svc.name, namespace));
    const { weight: _weight, ...rest } = primary;
    const apex: BackendRef = { ...rest, name: svc.name, ...(before?.weight !== undefined ? { weight: before.weight } : {}) };
    const others = refs.filter((ref) => !sendsTo(ref, svc.primaryName, namespace) && !sendsTo(ref, svc.canaryName, namespace));
    return { ...rule, backendRefs: [apex, ...others] };
  });
  return { ...spec, rules };
}

async function readUserRoute(kube: KubeClient, canary: Canary, ref: ObjectRef): Promise<Result<HTTPRoute>> {
  const group = canary.spec.service.routeRef?.group ?? GATEWAY_GROUP;
  const kind = canary.spec.service.routeRef?.kind ?? 'HTTPRoute';
  if (group !== GATEWAY_GROUP || kind !== 'HTTPRoute') return fail('InvalidSpec', `spec.service.routeRef: only ${GATEWAY_GROUP} HTTPRoute is supported (got ${group} ${kind})`);
  const route = await kube.get<HTTPRoute>(ref);
  if (!route) return fail('NotReconciled', `${describe(ref)} not found`);
  const conflict = conflictOf(canary, route);
  if (conflict) return conflict;
  return ok(route);
}

/** Sets `routes` (or keeps the weights in place) on the user's route, recording what Davy found first. */
export async function convergeUserRoute(kube: KubeClient, canary: Canary, svc: EffectiveService, ref: ObjectRef, routes: Routes | undefined): Promise<Result<void>> {
  if (routes?.mirror) return fail('InvalidRoutes', `${describe(ref)}: Davy sets only weights in the user's route, it does not add a mirror`);
  const read = await readUserRoute(kube, canary, ref);
  if (!read.ok) return read;
  const route = read.value;
  const namespace = route.metadata.namespace ?? '';
  const current = readRouteWeights(route, svc);
  const spec = splitRoute(route.spec ?? {}, svc, namespace, routes ?? (current.ok ? current.value : STABLE_ROUTES), describe(ref));
  if (!spec.ok) return spec;
  const original = adoptionRecord<{ spec: HTTPRouteSpec }>(route)?.original ?? { spec: route.spec ?? {} };
  const metadata = withAdoptionRecord(route.metadata, { canary: canary.metadata.name ?? '', original });
  await write(kube, { ...route, metadata, spec: spec.value }, route);
  return ok(undefined);
}

/**
 * Gives the route back: exactly the recorded spec when the route is still what Davy made of it,
 * else the user's current spec with the split undone; the record goes either way.
 */
export async function finalizeUserRoute(kube: KubeClient, canary: Canary, svc: EffectiveService, ref: ObjectRef): Promise<void> {
  const route = await kube.get<HTTPRoute>(ref);
  if (!route || ownershipOf(route, canary).kind !== 'adopted') return;
  const namespace = route.metadata.namespace ?? '';
  const original = adoptionRecord<{ spec: HTTPRouteSpec }>(route)?.original.spec ?? route.spec ?? {};
  const current = route.spec ?? {};
  const weights = readRouteWeights(route, svc);
  const untouched = weights.ok && canonicalJson(splitRoute(original, svc, namespace, weights.value, '')) === canonicalJson(ok(current));
  const spec = untouched ? original : unsplitRoute(current, original, svc, namespace);
  await write(kube, { ...route, metadata: withoutAdoptionRecord(route.metadata), spec }, route);
}
