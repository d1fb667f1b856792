// The HTTPRoute Davy generates for provider gatewayapi:v1 / gatewayapi:v1beta1, as pure functions
// of the Canary (flagger-compat §5.2): parentRefs from service.gatewayRefs, hostnames from
// service.hosts, one weighted rule to `<svc>-primary` / `<svc>-canary`, filters from
// service.headers / rewrite / mirror / corsPolicy (CORS and timeouts on v1 only, as Flagger), A/B
// as a matched weighted rule plus a rule keeping everything else on the stable pods.
//
// Every value the API server would default (parentRef group and kind, backendRef group and kind,
// match types, the PathPrefix "/" match) is written explicitly, so the stored route equals the
// desired one and a pass with nothing to do writes nothing.
import { effectiveAnalysis, type EffectiveService } from '../api/defaults.js';
import { parseDuration } from '../api/durations.js';
import type { GatewayApiProvider } from '../api/providers.js';
import type { Canary, CorsPolicy, GatewayParentReference, HeaderOperations, HTTPMatchRequest, StringMatch } from '../api/types.js';
import type { KubeObject } from '../kube/client.js';
import { byCodeUnit } from '../lib/ordinal.js';
import { fail, ok, type Result } from '../workloads/result.js';
import type { Routes } from './router.js';
import { COOKIE_HEADER, SET_COOKIE, cookiesFrom, expires, stickyRules } from './session-affinity.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION: Record<GatewayApiProvider, string> = {
  'gatewayapi:v1': `${GATEWAY_GROUP}/v1`,
  'gatewayapi:v1beta1': `${GATEWAY_GROUP}/v1beta1`,
};

/** A parentRef: the same shape as the Canary's gatewayRefs. */
export type ParentReference = GatewayParentReference;

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: unknown[];
  [key: string]: unknown;
}

export interface TypedMatch {
  type?: string;
  name?: string;
  value?: string;
}

export interface HTTPRouteMatch {
  path?: TypedMatch;
  headers?: TypedMatch[];
  queryParams?: TypedMatch[];
  method?: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestMirror?: { backendRef: BackendRef; percent?: number };
  [key: string]: unknown;
}

export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  [key: string]: unknown;
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
  [key: string]: unknown;
}

interface RouteCondition {
  type: string;
  status: string;
  observedGeneration?: number;
}

export interface HTTPRoute extends KubeObject {
  kind: 'HTTPRoute';
  spec?: HTTPRouteSpec;
  status?: { parents?: { parentRef: ParentReference; conditions?: RouteCondition[] }[] };
}

const DEFAULT_MATCH: HTTPRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

/** A backendRef to one of Davy's Services, as the API server stores it. */
export const serviceBackend = (name: string, port: number, weight: number): BackendRef => ({ group: '', kind: 'Service', name, port, weight });

/** gatewayRefs with Gateway API's defaults filled in (group gateway.networking.k8s.io, kind Gateway). */
export const parentRefs = (canary: Canary): ParentReference[] =>
  (canary.spec.service.gatewayRefs ?? []).map((ref) => ({ group: GATEWAY_GROUP, kind: 'Gateway', ...structuredClone(ref) }));

/** Istio-style string matches as Gateway API typed matches; `what` names the field in the error. */
function typedMatches(map: Record<string, StringMatch> | undefined, what: string): Result<TypedMatch[]> {
  const out: TypedMatch[] = [];
  for (const [name, match] of Object.entries(map ?? {})) {
    if (match.exact !== undefined) out.push({ type: 'Exact', name, value: match.exact });
    else if (match.regex !== undefined) out.push({ type: 'RegularExpression', name, value: match.regex });
    else return fail('InvalidSpec', `gatewayapi: ${what} ${JSON.stringify(name)}: an HTTPRoute matches only exact or regex`);
  }
  return ok(out);
}

/** service.match (or analysis.match) as HTTPRoute matches: uri, method, headers, queryParams. */
export function routeMatches(requests: readonly HTTPMatchRequest[]): Result<HTTPRouteMatch[]> {
  const matches: HTTPRouteMatch[] = [];
  for (const request of requests) {
    const match: HTTPRouteMatch = {};
    const uri = request.uri;
    if (uri?.exact !== undefined) match.path = { type: 'Exact', value: uri.exact };
    else if (uri?.prefix !== undefined) match.path = { type: 'PathPrefix', value: uri.prefix };
    else if (uri?.regex !== undefined) match.path = { type: 'RegularExpression', value: uri.regex };
    else if (uri) return fail('InvalidSpec', 'gatewayapi: a uri match must be exact, prefix or regex');
    if (request.method) {
      if (request.method.exact === undefined) return fail('InvalidSpec', 'gatewayapi: a method match must be exact');
      match.method = request.method.exact;
    }
    const headers = typedMatches(request.headers, 'header');
    if (!headers.ok) return headers;
    const query = typedMatches(request.queryParams, 'query parameter');
    if (!query.ok) return query;
    if (headers.value.length) match.headers = headers.value;
    if (query.value.length) match.queryParams = query.value;
    if (Object.keys(match).length) matches.push(match);
  }
  return ok(matches);
}

/**
 * Each A/B condition ANDed with each service match (an HTTPRoute ORs its matches and ANDs within
 * one). A condition's header or query parameter replaces the service match's of the same name.
 */
export function mergeRouteMatches(conditions: readonly HTTPRouteMatch[], base: readonly HTTPRouteMatch[]): HTTPRouteMatch[] {
  const merge = (own: TypedMatch[] | undefined, theirs: TypedMatch[] | undefined): TypedMatch[] | undefined => {
    const combined = [...(own ?? []).filter((m) => !(theirs ?? []).some((t) => t.name === m.name)), ...(theirs ?? [])];
    return combined.length ? combined : undefined;
  };
  return conditions.flatMap((condition) => base.map((match) => {
    const merged: HTTPRouteMatch = { ...structuredClone(match) };
    const headers = merge(match.headers, condition.headers);
    const queryParams = merge(match.queryParams, condition.queryParams);
    if (headers) merged.headers = structuredClone(headers);
    if (queryParams) merged.queryParams = structuredClone(queryParams);
    return merged;
  }));
}

/** Header operations as a header modifier filter; names sorted, as Flagger writes them. */
function headerModifier(ops: HeaderOperations): Record<string, unknown> {
  const sorted = (map: Record<string, string> | undefined) =>
    Object.entries(map ?? {}).map(([name, value]) => ({ name, value })).sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.value, b.value));
  const set = sorted(ops.set);
  const add = sorted(ops.add);
  return { ...(set.length ? { set } : {}), ...(add.length ? { add } : {}), ...(ops.remove?.length ? { remove: [...ops.remove] } : {}) };
}

/** Istio's CORS policy as a Gateway API CORS filter (maxAge: a Go duration, in seconds). */
function corsFilter(cors: CorsPolicy): Record<string, unknown> {
  const maxAgeMs = cors.maxAge ? parseDuration(cors.maxAge) : undefined;
  return {
    ...(cors.allowOrigin?.length ? { allowOrigins: [...cors.allowOrigin] } : {}),
    ...(cors.allowMethods?.length ? { allowMethods: [...cors.allowMethods] } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: [...cors.allowHeaders] } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: [...cors.exposeHeaders] } : {}),
    ...(cors.allowCredentials ? { allowCredentials: true } : {}),
    ...(maxAgeMs !== undefined ? { maxAge: Math.floor(maxAgeMs / 1000) } : {}),
  };
}

/** Filters every rule carries: request and response headers, URL rewrite, static mirrors, CORS (v1). */
export function ruleFilters(canary: Canary, provider: GatewayApiProvider): HTTPRouteFilter[] {
  const { headers, rewrite, mirror, corsPolicy } = canary.spec.service;
  const filters: HTTPRouteFilter[] = [];
  if (headers?.request) filters.push({ type: 'RequestHeaderModifier', requestHeaderModifier: headerModifier(headers.request) });
  if (headers?.response) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: headerModifier(headers.response) });
  if (rewrite) {
    const type = rewrite.type ?? 'ReplaceFullPath';
    const path = rewrite.uri ? { type, ...(type === 'ReplaceFullPath' ? { replaceFullPath: rewrite.uri } : { replacePrefixMatch: rewrite.uri }) } : undefined;
    filters.push({ type: 'URLRewrite', urlRewrite: { ...(rewrite.authority ? { hostname: rewrite.authority } : {}), ...(path ? { path } : {}) } });
  }
  for (const m of mirror ?? []) {
    filters.push({ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', ...structuredClone(m.backendRef) } } });
  }
  if (corsPolicy && provider === 'gatewayapi:v1') filters.push({ type: 'CORS', cors: corsFilter(corsPolicy) });
  return filters;
}

/** The mirror filter analysis.mirror adds while the canary is shadowed; percent only below 100. */
export function mirrorToCanary(canary: Canary, svc: EffectiveService): HTTPRouteFilter {
  const percent = effectiveAnalysis(canary.spec).mirrorWeight;
  const backendRef: BackendRef = { group: '', kind: 'Service', name: svc.canaryName, port: svc.port };
  return { type: 'RequestMirror', requestMirror: { backendRef, ...(percent < 100 ? { percent } : {}) } };
}

const timeoutsOf = (canary: Canary, provider: GatewayApiProvider): HTTPRouteRule['timeouts'] | undefined => {
  const { timeout, backendTimeout } = canary.spec.service;
  if (provider !== 'gatewayapi:v1' || (!timeout && !backendTimeout)) return undefined;
  return { ...(timeout ? { request: timeout } : {}), ...(backendTimeout ? { backendRequest: backendTimeout } : {}) };
};

/** The HTTPRoute spec as the Canary describes it, with `routes` on its weighted rule. */
export function httpRouteSpec(canary: Canary, provider: GatewayApiProvider, svc: EffectiveService, routes: Routes): Result<HTTPRouteSpec> {
  const base = routeMatches(canary.spec.service.match ?? []);
  if (!base.ok) return base;
  const matches = base.value.length ? base.value : [structuredClone(DEFAULT_MATCH)];
  const timeouts = timeoutsOf(canary, provider);
  const rule = (ruleMatches: HTTPRouteMatch[], backendRefs: BackendRef[], extra: HTTPRouteFilter[] = [], cookie?: string): HTTPRouteRule => {
    const filters = withResponseHeader([...ruleFilters(canary, provider), ...extra], SET_COOKIE, cookie);
    return { matches: ruleMatches, ...(filters.length ? { filters } : {}), backendRefs, ...(timeouts ? { timeouts: { ...timeouts } } : {}) };
  };
  const sticky = stickyRules(canary, routes.cookies);
  const weighted = [
    withSetCookie(serviceBackend(svc.primaryName, svc.port, routes.primary), sticky.primary?.setCookie),
    withSetCookie(serviceBackend(svc.canaryName, svc.port, routes.canary), sticky.canary?.setCookie),
  ];
  const mirror = routes.mirror ? [mirrorToCanary(canary, svc)] : [];
  const hostnames = canary.spec.service.hosts ?? [];
  const spec: HTTPRouteSpec = { parentRefs: parentRefs(canary), ...(hostnames.length ? { hostnames: [...hostnames] } : {}) };
  if (effectiveAnalysis(canary.spec).strategy !== 'ab-testing') {
    // Rules that match a cookie go first: an HTTPRoute prefers the match with the most headers.
    const byCookie = (cookie: string) => mergeRouteMatches([{ headers: [{ type: 'RegularExpression', name: COOKIE_HEADER, value: cookie }] }], matches);
    const rules = [
      ...(sticky.canary ? [rule(byCookie(sticky.canary.match), [serviceBackend(svc.canaryName, svc.port, 100)])] : []),
      ...(sticky.primary ? [rule(byCookie(sticky.primary.match), [serviceBackend(svc.primaryName, svc.port, 100)])] : []),
      ...(sticky.expire ? [rule(byCookie(sticky.expire.match), [serviceBackend(svc.primaryName, svc.port, 100)], [], sticky.expire.setCookie)] : []),
      rule(matches, weighted, mirror),
    ];
    return ok({ ...spec, rules });
  }
  const conditions = routeMatches(canary.spec.analysis?.match ?? []);
  if (!conditions.ok) return conditions;
  return ok({
    ...spec,
    rules: [
      rule(mergeRouteMatches(conditions.value, matches), weighted, mirror),
      rule(structuredClone(matches), [serviceBackend(svc.primaryName, svc.port, 100)]),
    ],
  });
}

/** A backendRef whose answers carry `cookie` (session affinity), or as it is without one. */
const withSetCookie = (ref: BackendRef, cookie: string | undefined): BackendRef =>
  cookie === undefined ? ref : { ...ref, filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: SET_COOKIE, value: cookie }] } }] };

/**
 * `filters` with the response header `name: value` added: to the rule's header modifier when it has
 * one (an HTTPRoute rule may carry each modifier once), else in a new one.
 */
function withResponseHeader(filters: HTTPRouteFilter[], name: string, value: string | undefined): HTTPRouteFilter[] {
  if (value === undefined) return filters;
  const header = { name, value };
  const at = filters.findIndex((f) => f.type === 'ResponseHeaderModifier');
  if (at < 0) return [...filters, { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [header] } }];
  const modifier = (filters[at]!.responseHeaderModifier ?? {}) as { add?: { name: string; value: string }[] };
  const next = { ...filters[at]!, responseHeaderModifier: { ...modifier, add: [...(modifier.add ?? []), header] } };
  return filters.map((f, i) => (i === at ? next : f));
}

/** The Set-Cookie values a list of filters adds to answers. */
function setCookies(filters: readonly unknown[] | undefined): string[] {
  return (filters ?? []).flatMap((f) => {
    const modifier = (f as HTTPRouteFilter).type === 'ResponseHeaderModifier' ? (f as HTTPRouteFilter).responseHeaderModifier as { add?: { name?: string; value?: string }[] } | undefined : undefined;
    return (modifier?.add ?? []).filter((h) => h.name?.toLowerCase() === 'set-cookie' && typeof h.value === 'string').map((h) => h.value!);
  });
}

/** The session affinity cookies a route carries: on the weighted rule's backends, and on the rule that expires the last one. */
function routeCookies(rules: readonly HTTPRouteRule[], weighted: { primary: BackendRef; canary: BackendRef }): Routes['cookies'] {
  const expire = rules.flatMap((r) => setCookies(r.filters)).find(expires);
  const canary = setCookies(weighted.canary.filters)[0];
  const primary = setCookies(weighted.primary.filters)[0];
  return cookiesFrom({ ...(canary ? { canary } : {}), ...(primary ? { primary } : {}), ...(expire ? { expire } : {}) });
}

/** Whether a backendRef names a Service of this namespace called `name`. */
export const sendsTo = (ref: BackendRef, name: string, namespace: string): boolean =>
  (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service' && ref.name === name && (ref.namespace ?? namespace) === namespace;

/**
 * The weights of the first rule that sends to both sides (the weighted rule; in A/B the second
 * rule sends to primary only), and whether a rule mirrors to the canary.
 */
export function readRouteWeights(route: HTTPRoute, svc: EffectiveService): Result<Routes> {
  const namespace = route.metadata.namespace ?? '';
  const name = `HTTPRoute ${namespace}/${route.metadata.name ?? ''}`;
  const rules = route.spec?.rules ?? [];
  for (const rule of rules) {
    const refs = rule.backendRefs ?? [];
    const primary = refs.find((r) => sendsTo(r, svc.primaryName, namespace));
    const canary = refs.find((r) => sendsTo(r, svc.canaryName, namespace));
    if (!primary || !canary) continue;
    const weights = { primary: primary.weight ?? 1, canary: canary.weight ?? 1 };
    if (weights.primary + weights.canary === 0) return fail('NotReconciled', `${name}: both weights are 0`);
    const mirror = rules.some((r) => (r.filters ?? []).some((f) => f.type === 'RequestMirror' && f.requestMirror && sendsTo(f.requestMirror.backendRef, svc.canaryName, namespace)));
    const canaryPercent = Math.round((weights.canary * 100) / (weights.primary + weights.canary));
    const cookies = routeCookies(rules, { primary, canary });
    return ok({ primary: 100 - canaryPercent, canary: canaryPercent, mirror, ...(cookies ? { cookies } : {}) });
  }
  return fail('NotReconciled', `${name} has no rule sending to ${svc.primaryName} and ${svc.canaryName}`);
}

/**
 * A problem while a Gateway that the route names has not accepted its latest generation (Flagger's
 * check): weights on a route the data plane has not taken are not yet traffic.
 */
export function notAccepted(route: HTTPRoute): Result<never> | undefined {
  const generation = route.metadata.generation ?? 0;
  const sameParent = (a: ParentReference, b: ParentReference) =>
    a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.group ?? GATEWAY_GROUP) === (b.group ?? GATEWAY_GROUP) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') && (a.sectionName ?? '') === (b.sectionName ?? '') && (a.port ?? 0) === (b.port ?? 0);
  for (const parent of route.status?.parents ?? []) {
    if (!(route.spec?.parentRefs ?? []).some((ref) => sameParent(ref, parent.parentRef))) continue;
    const accepted = parent.conditions?.find((c) => c.type === 'Accepted');
    if (accepted && (accepted.status !== 'True' || (accepted.observedGeneration ?? 0) < generation)) {
      return fail('NotReconciled', `HTTPRoute ${route.metadata.namespace ?? ''}/${route.metadata.name ?? ''}: parent ${parent.parentRef.name} has not accepted generation ${generation} (Accepted ${accepted.status}, observed generation ${accepted.observedGeneration ?? 0})`);
    }
  }
  return undefined;
}
