// The istio provider (flagger-compat §5.2): VirtualService `<svc>` with weighted destinations
// `<svc>-primary` / `<svc>-canary`, and a DestinationRule per destination carrying the Canary's
// trafficPolicy (networking.istio.io/v1beta1). Weights live on the first rule's route
// (`http[0].route[].weight`, or `tcp[0]` for appProtocol tcp); A/B adds a second rule that keeps
// unmatched traffic on the stable pods; mirroring shadows to the copy from the first rule.
//
// An existing VirtualService that is not Davy's is adopted: its spec is recorded on it and put
// back on finalize. One Davy made is deleted on finalize when it serves only the mesh (traffic
// falls back to the apex Service, which selects the stable pods); when it is bound to gateways or
// is a delegate, it is released to the user routing everything to the apex Service, because a
// gateway or a root VirtualService still points at it.
import { effectiveAnalysis, effectiveService, type EffectiveService } from '../api/defaults.js';
import type { Canary, CorsPolicy, HTTPMatchRequest, StringMatch } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import {
  adoptionRecord, conflictOf, converged, ownedMetadata, ownershipOf, releasedMetadata, withAdoptionRecord, withoutAdoptionRecord,
} from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { deleteIfOurs, namespacedRef, write } from './objects.js';
import { STABLE_ROUTES, checkRoutes, type RouterFactory, type Routes } from './router.js';
import { finalizeServices, reconcileServices } from './services.js';
import { COOKIE_HEADER, SET_COOKIE, cookiesFrom, expires, stickyRules } from './session-affinity.js';

export const ISTIO_API_VERSION = 'networking.istio.io/v1beta1';

interface Destination {
  host: string;
  port?: { number: number };
}

interface WeightedDestination {
  destination: Destination;
  weight?: number;
  headers?: { response?: { add?: Record<string, string>; [key: string]: unknown }; [key: string]: unknown };
}

interface RouteRule {
  match?: unknown[];
  route?: WeightedDestination[];
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  [key: string]: unknown;
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: RouteRule[];
  tcp?: RouteRule[];
  [key: string]: unknown;
}

export interface VirtualService extends KubeObject {
  kind: 'VirtualService';
  spec?: VirtualServiceSpec;
}

const vsRef = (canary: Canary, name: string) => namespacedRef(canary, ISTIO_API_VERSION, 'VirtualService', name);
const drRef = (canary: Canary, name: string) => namespacedRef(canary, ISTIO_API_VERSION, 'DestinationRule', name);
const isTcp = (canary: Canary): boolean => canary.spec.service.appProtocol?.toLowerCase() === 'tcp';

export const istioRouter: RouterFactory = ({ kube }) => ({
  reconcile: (canary) => converge(kube, canary, undefined),

  async setRoutes(canary, routes) {
    const checked = checkRoutes('istio', routes);
    if (!checked.ok) return failed(checked);
    return converge(kube, canary, routes);
  },

  async getRoutes(canary) {
    const svc = effectiveService(canary.spec, 'istio');
    const vs = await kube.get<VirtualService>(vsRef(canary, svc.name));
    if (!vs) return fail('NotReconciled', `VirtualService ${canary.metadata.namespace ?? ''}/${svc.name} not found`);
    return readRoutes(vs, svc);
  },

  async finalize(canary) {
    const svc = effectiveService(canary.spec, 'istio');
    const vs = await kube.get<VirtualService>(vsRef(canary, svc.name));
    const final = vs && finalVirtualService(canary, vs, svc);
    if (final === 'delete') await kube.delete(vsRef(canary, svc.name));
    else if (vs && final) await write(kube, final, vs);
    await deleteIfOurs(kube, canary, drRef(canary, svc.primaryName));
    await deleteIfOurs(kube, canary, drRef(canary, svc.canaryName));
    return finalizeServices(kube, canary, 'istio');
  },
});

/** Services, DestinationRules, then the VirtualService with `routes`, or the routes it has now. */
async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, 'istio', 'primary');
  if (!services.ok) return services;
  const svc = effectiveService(canary.spec, 'istio');
  for (const name of [svc.primaryName, svc.canaryName]) {
    const existing = await kube.get(drRef(canary, name));
    const conflict = conflictOf(canary, existing);
    if (conflict) return conflict;
    await write(kube, destinationRule(canary, name, existing), existing);
  }
  const existing = await kube.get<VirtualService>(vsRef(canary, svc.name));
  const current = existing && readRoutes(existing, svc);
  const desired = virtualService(canary, existing, routes ?? (current?.ok ? current.value : STABLE_ROUTES));
  if (!desired.ok) return failed(desired);
  await write(kube, desired.value, existing);
  return ok(undefined);
}

function destinationRule(canary: Canary, name: string, existing: KubeObject | undefined): KubeObject {
  const trafficPolicy = canary.spec.service.trafficPolicy;
  const desired: KubeObject = {
    apiVersion: ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: ownedMetadata(canary, name),
    spec: { host: name, ...(trafficPolicy ? { trafficPolicy: structuredClone(trafficPolicy) } : {}) },
  };
  return existing ? converged(existing, desired) : desired;
}

function virtualService(canary: Canary, existing: VirtualService | undefined, routes: Routes): Result<VirtualService> {
  const svc = effectiveService(canary.spec, 'istio');
  const spec = virtualServiceSpec(canary, svc, routes);
  if (!spec.ok) return failed(spec);
  const desired: VirtualService = {
    apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', metadata: ownedMetadata(canary, svc.name, canary.spec.service.apex), spec: spec.value,
  };
  if (!existing) return ok(desired);
  const owner = ownershipOf(existing, canary);
  if (owner.kind === 'foreign') return conflictOf(canary, existing) ?? fail('ObjectConflict', 'VirtualService is not Davy\'s');
  if (owner.kind === 'ours') return ok(converged(existing, desired));
  const original = adoptionRecord<{ spec: VirtualServiceSpec }>(existing)?.original ?? { spec: existing.spec ?? {} };
  const record = { canary: canary.metadata.name ?? '', original };
  return ok({ ...existing, metadata: withAdoptionRecord(existing.metadata, record), spec: spec.value });
}

/** The VirtualService as the Canary describes it, with `routes` on its first rule. */
export function virtualServiceSpec(canary: Canary, svc: EffectiveService, routes: Routes): Result<VirtualServiceSpec> {
  const service = canary.spec.service;
  const delegation = service.delegation === true;
  if (delegation && (service.hosts?.length || service.gateways?.length)) {
    return fail('InvalidSpec', 'spec.service.delegation: a delegate VirtualService has no hosts and no gateways');
  }
  const hosts = [...(service.hosts ?? [])];
  if (!hosts.includes(svc.name) && !hosts.includes('*')) hosts.push(svc.name);
  const gateways = [...svc.gateways];
  const withPort = service.portDiscovery === true && (delegation || gateways[0] !== 'mesh');
  const destination = (host: string): Destination => ({ host, ...(withPort ? { port: { number: svc.port } } : {}) });
  const sticky = isTcp(canary) ? {} : stickyRules(canary, routes.cookies);
  const weighted: WeightedDestination[] = [
    withSetCookie({ destination: destination(svc.primaryName), weight: routes.primary }, sticky.primary?.setCookie),
    withSetCookie({ destination: destination(svc.canaryName), weight: routes.canary }, sticky.canary?.setCookie),
  ];
  const addressing = delegation ? {} : { hosts, gateways };
  if (isTcp(canary)) {
    if (routes.mirror) return fail('InvalidRoutes', 'istio: TCP routes cannot mirror traffic');
    const ports = (service.match ?? []).flatMap((m) => (m.port ? [{ port: m.port }] : []));
    return ok({ ...addressing, tcp: [{ ...(ports.length ? { match: ports } : {}), route: weighted }] });
  }
  const analysis = effectiveAnalysis(canary.spec, { meshProvider: 'istio' });
  const options = httpOptions(canary);
  const mirror = routes.mirror ? { mirror: { host: svc.canaryName }, mirrorPercentage: { value: analysis.mirrorWeight } } : {};
  const baseMatch = service.match?.length ? { match: structuredClone(service.match) } : {};
  const first: RouteRule = { ...baseMatch, ...options, route: weighted, ...mirror };
  if (analysis.strategy !== 'ab-testing') {
    // Istio takes the first rule that matches: the cookie rules go ahead of the weighted one.
    const byCookie = (cookie: string) => mergeMatches([{ headers: { [COOKIE_HEADER.toLowerCase()]: { regex: cookie } } }], service.match ?? []);
    const to = (host: string): WeightedDestination[] => [{ destination: destination(host), weight: 100 }];
    const http: RouteRule[] = [
      ...(sticky.canary ? [{ match: byCookie(sticky.canary.match), ...options, route: to(svc.canaryName) }] : []),
      ...(sticky.primary ? [{ match: byCookie(sticky.primary.match), ...options, route: to(svc.primaryName) }] : []),
      ...(sticky.expire ? [expiring({ match: byCookie(sticky.expire.match), ...structuredClone(options), route: to(svc.primaryName) }, sticky.expire.setCookie)] : []),
      first,
    ];
    return ok({ ...addressing, http });
  }
  return ok({
    ...addressing,
    http: [
      { ...first, match: mergeMatches(canary.spec.analysis?.match ?? [], service.match ?? []) },
      { ...baseMatch, ...options, route: [{ destination: destination(svc.primaryName), weight: 100 }] },
    ],
  });
}

/** rewrite, timeout, retries, headers and CORS, on every HTTP rule. */
function httpOptions(canary: Canary): Record<string, unknown> {
  const { rewrite, timeout, retries, headers, corsPolicy } = canary.spec.service;
  const istioRewrite = rewrite && (rewrite.uri || rewrite.authority)
    ? { ...(rewrite.uri ? { uri: rewrite.uri } : {}), ...(rewrite.authority ? { authority: rewrite.authority } : {}) }
    : undefined;
  return {
    ...(istioRewrite ? { rewrite: istioRewrite } : {}),
    ...(timeout ? { timeout } : {}),
    ...(retries ? { retries: structuredClone(retries) } : {}),
    ...(headers ? { headers: structuredClone(headers) } : {}),
    ...(corsPolicy ? { corsPolicy: istioCors(corsPolicy) } : {}),
  };
}

/** Istio ignores the deprecated `allowOrigin` strings since 1.6: they become `allowOrigins` matches. */
function istioCors(cors: CorsPolicy): Record<string, unknown> {
  const { allowOrigin, allowOrigins, ...rest } = structuredClone(cors);
  const origins: StringMatch[] = [...(allowOrigin ?? []).map((o) => (o === '*' ? { regex: '.*' } : { exact: o })), ...(allowOrigins ?? [])];
  return { ...(origins.length ? { allowOrigins: origins } : {}), ...rest };
}

/**
 * Each A/B condition ANDed with each service match (Istio ORs the list and ANDs within an entry),
 * so the canary gets only matched requests that the service route would take anyway.
 */
export function mergeMatches(conditions: HTTPMatchRequest[], base: HTTPMatchRequest[]): HTTPMatchRequest[] {
  if (!base.length) return structuredClone(conditions);
  const maps = ['headers', 'queryParams', 'withoutHeaders', 'sourceLabels'] as const;
  return conditions.flatMap((condition) => base.map((match) => {
    const merged: HTTPMatchRequest = { ...structuredClone(match), ...structuredClone(condition) };
    for (const key of maps) {
      const combined = { ...(match[key] ?? {}), ...(condition[key] ?? {}) };
      if (Object.keys(combined).length) (merged as Record<string, unknown>)[key] = combined;
    }
    return merged;
  }));
}

/** A destination whose answers carry `cookie` (session affinity), or as it is without one. */
const withSetCookie = (to: WeightedDestination, cookie: string | undefined): WeightedDestination =>
  cookie === undefined ? to : { ...to, headers: { response: { add: { [SET_COOKIE]: cookie } } } };

/** `rule` answering with `cookie` too, beside the response headers service.headers gives it. */
function expiring(rule: RouteRule, cookie: string): RouteRule {
  const headers = (rule['headers'] ?? {}) as { response?: { add?: Record<string, string> } };
  const response = headers.response ?? {};
  return { ...rule, headers: { ...headers, response: { ...response, add: { ...(response.add ?? {}), [SET_COOKIE]: cookie } } } };
}

const setCookieOf = (headers: WeightedDestination['headers'] | undefined): string | undefined => headers?.response?.add?.[SET_COOKIE];

/**
 * The weights on the weighted rule (the first that routes to both sides: cookie rules route to
 * one), and the session affinity cookies on its destinations and on the rule expiring the last one.
 * A route without a weight next to another counts as 0.
 */
export function readRoutes(vs: VirtualService, svc: EffectiveService): Result<Routes> {
  const both = (r: RouteRule) => [svc.primaryName, svc.canaryName].every((host) => r.route?.some((d) => d.destination.host === host));
  const http = vs.spec?.http ?? [];
  const rule = http.find(both) ?? vs.spec?.tcp?.[0];
  const find = (host: string) => rule?.route?.find((r) => r.destination.host === host);
  const primary = find(svc.primaryName);
  const canary = find(svc.canaryName);
  const name = `VirtualService ${vs.metadata.namespace ?? ''}/${vs.metadata.name ?? ''}`;
  if (!primary || !canary) return fail('NotReconciled', `${name} does not route to ${svc.primaryName} and ${svc.canaryName}`);
  const weights = { primary: primary.weight ?? 0, canary: canary.weight ?? 0 };
  if (weights.primary + weights.canary === 0) return fail('NotReconciled', `${name}: both weights are 0`);
  const expire = http.map((r) => setCookieOf(r['headers'] as WeightedDestination['headers'])).find((c) => c !== undefined && expires(c));
  const [canaryCookie, primaryCookie] = [setCookieOf(canary.headers), setCookieOf(primary.headers)];
  const cookies = cookiesFrom({ ...(canaryCookie ? { canary: canaryCookie } : {}), ...(primaryCookie ? { primary: primaryCookie } : {}), ...(expire ? { expire } : {}) });
  return ok({ ...weights, mirror: rule?.mirror?.host === svc.canaryName, ...(cookies ? { cookies } : {}) });
}

/** What finalize leaves: the adopted original, a released VirtualService, or 'delete'. */
function finalVirtualService(canary: Canary, vs: VirtualService, svc: EffectiveService): VirtualService | 'delete' | undefined {
  const owner = ownershipOf(vs, canary);
  if (owner.kind === 'adopted') {
    const original = adoptionRecord<{ spec: VirtualServiceSpec }>(vs)?.original.spec ?? vs.spec ?? {};
    return { ...vs, metadata: withoutAdoptionRecord(vs.metadata), spec: original };
  }
  if (owner.kind !== 'ours') return undefined;
  const meshOnly = canary.spec.service.delegation !== true && (vs.spec?.gateways ?? []).every((g) => g === 'mesh');
  if (meshOnly) return 'delete';
  const toApex = (rule: RouteRule): RouteRule => {
    const { mirror: _mirror, mirrorPercentage: _percentage, route, ...rest } = rule;
    const port = route?.[0]?.destination.port;
    return { ...rest, route: [{ destination: { host: svc.name, ...(port ? { port } : {}) }, weight: 100 }] };
  };
  const spec = vs.spec ?? {};
  return {
    ...vs,
    metadata: releasedMetadata(vs.metadata, canary),
    spec: { ...spec, ...(spec.http ? { http: spec.http.map(toApex) } : {}), ...(spec.tcp ? { tcp: spec.tcp.map(toApex) } : {}) },
  };
}
