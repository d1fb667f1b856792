// The Gateway API providers (gatewayapi:v1, gatewayapi:v1beta1): what the HTTPRoute Davy writes can
// hold. A field the HTTPRoute CRD would reject, or one Flagger drops silently (an unmappable match,
// a CORS origin pattern), is an error here, at kubectl apply, instead of a failed step later.
//
// spec.service.routeRef (Davy's addition) names the user's own HTTPRoute, in which Davy sets only
// weights: the fields that would shape a generated route are then errors, since they would be
// ignored, and so are A/B matches and mirroring, which would need rules of Davy's own.

import { FieldPath } from './field-errors.js';
import { message } from './messages.js';
import { isDns1123Label, isDns1123Subdomain } from './names.js';
import { isGatewayApiProvider } from './providers.js';
import { checkDuration } from './validate-common.js';
import { asArray, asRecord, asString, isSet, type CanaryContext, type Json } from './validate-context.js';

const SERVICE = FieldPath.root('spec').child('service');
const ANALYSIS = FieldPath.root('spec').child('analysis');
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Gateway API's Kind: a letter, then letters, digits and '-', at most 63 characters. */
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** HTTPRoute hostnames: a DNS-1123 subdomain with an optional leading wildcard label, never an IP. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_HOSTNAMES = 16;
const TYPED_MATCH = ['exact', 'regex'] as const;
/** Istio match fields an HTTPRoute match has no place for. */
const NOT_IN_HTTPROUTE = ['scheme', 'authority', 'port', 'sourceLabels', 'gateways', 'ignoreUriCase', 'withoutHeaders', 'sourceNamespace'];
/** The service fields that shape a generated HTTPRoute, meaningless with routeRef. */
const GENERATED_ROUTE_FIELDS = ['gatewayRefs', 'hosts', 'match', 'headers', 'rewrite', 'timeout', 'backendTimeout', 'mirror', 'corsPolicy'];

/** One parentRef: name, group, kind, namespace and sectionName in Gateway API's grammars (the schema requires the name). */
function checkParentRef(ctx: CanaryContext, ref: Json, path: FieldPath): void {
  const { report } = ctx;
  const name = asString(ref.name);
  if (name !== undefined && !isDns1123Subdomain(name)) report.invalid(path.child('name'), name, 'dns1123Subdomain');
  const group = asString(ref.group);
  if (group !== undefined && group !== '' && !isDns1123Subdomain(group)) report.invalid(path.child('group'), group, 'dns1123Subdomain');
  const kind = asString(ref.kind);
  if (kind !== undefined && !(kind.length <= 63 && KIND.test(kind))) report.invalid(path.child('kind'), kind, 'gatewayKind');
  const namespace = asString(ref.namespace);
  if (namespace !== undefined && !isDns1123Label(namespace)) report.invalid(path.child('namespace'), namespace, 'dns1123Label');
  const section = asString(ref.sectionName);
  if (section !== undefined && !isDns1123Subdomain(section)) report.invalid(path.child('sectionName'), section, 'dns1123Subdomain');
}

/** gatewayRefs: required without routeRef, each valid, none twice (the HTTPRoute CRD refuses repeats). */
function checkGatewayRefs(ctx: CanaryContext, service: Json): void {
  const path = SERVICE.child('gatewayRefs');
  const refs = asArray(service.gatewayRefs) ?? [];
  if (refs.length === 0 && !isSet(service.routeRef)) {
    ctx.report.required(path, message('gatewayRefsRequired'));
  }
  const seen = new Set<string>();
  refs.forEach((item, i) => {
    const ref = asRecord(item);
    if (!ref) return;
    checkParentRef(ctx, ref, path.index(i));
    const key = JSON.stringify([ref.group ?? GATEWAY_GROUP, ref.kind ?? 'Gateway', ref.namespace ?? '', ref.name, ref.sectionName ?? '', ref.port ?? 0]);
    if (seen.has(key)) ctx.report.duplicate(path.index(i), ref);
    seen.add(key);
  });
}

function checkHostnames(ctx: CanaryContext, service: Json): void {
  const hosts = asArray(service.hosts) ?? [];
  const path = SERVICE.child('hosts');
  if (hosts.length > MAX_HOSTNAMES) ctx.report.invalid(path, hosts.length, 'tooManyItems', { maxItems: MAX_HOSTNAMES });
  hosts.forEach((host, i) => {
    const text = asString(host);
    if (text !== undefined && !(text.length <= 253 && HOSTNAME.test(text) && !/^[0-9.]+$/.test(text))) ctx.report.invalid(path.index(i), text, 'hostname');
  });
}

/** A map of Istio string matches whose entries an HTTPRoute can express only as exact or regex. */
function checkTypedMatches(ctx: CanaryContext, value: unknown, path: FieldPath): void {
  for (const [name, item] of Object.entries(asRecord(value) ?? {})) {
    for (const variant of Object.keys(asRecord(item) ?? {})) {
      if (!(TYPED_MATCH as readonly string[]).includes(variant)) ctx.report.notSupported(path.key(name).child(variant), variant, TYPED_MATCH, 'httpRouteMatch');
    }
  }
}

function checkServiceMatches(ctx: CanaryContext, service: Json): void {
  (asArray(service.match) ?? []).forEach((item, i) => {
    const match = asRecord(item);
    if (!match) return;
    const path = SERVICE.child('match').index(i);
    for (const field of NOT_IN_HTTPROUTE) if (isSet(match[field])) ctx.report.forbidden(path.child(field), 'notInHttpRoute');
    const method = asRecord(match.method);
    for (const variant of Object.keys(method ?? {})) {
      if (variant !== 'exact') ctx.report.notSupported(path.child('method').child(variant), variant, ['exact'], 'httpRouteMatch');
    }
    checkTypedMatches(ctx, match.headers, path.child('headers'));
    checkTypedMatches(ctx, match.queryParams, path.child('queryParams'));
  });
}

function checkAbMatches(ctx: CanaryContext, analysis: Json): void {
  (asArray(analysis.match) ?? []).forEach((item, i) => {
    const match = asRecord(item);
    if (!match) return;
    const path = ANALYSIS.child('match').index(i);
    if (isSet(match.sourceLabels)) ctx.report.forbidden(path.child('sourceLabels'), 'notInHttpRoute');
    checkTypedMatches(ctx, match.headers, path.child('headers'));
    checkTypedMatches(ctx, match.queryParams, path.child('queryParams'));
  });
}

/** Filters the HTTPRoute CRD would refuse: a mirror to a Service without a port, CORS origin patterns. */
function checkFilters(ctx: CanaryContext, service: Json): void {
  (asArray(service.mirror) ?? []).forEach((item, i) => {
    const ref = asRecord(asRecord(item)?.backendRef);
    const isService = (asString(ref?.group) ?? '') === '' && (asString(ref?.kind) ?? 'Service') === 'Service';
    if (ref && isService && !isSet(ref.port)) ctx.report.required(SERVICE.child('mirror').index(i).child('backendRef').child('port'), message('servicePortRequired'));
  });
  const cors = asRecord(service.corsPolicy);
  if (cors && (asArray(cors.allowOrigins) ?? []).length > 0) ctx.report.forbidden(SERVICE.child('corsPolicy').child('allowOrigins'), 'corsOriginPatterns');
  if (cors) checkDuration(cors.maxAge, SERVICE.child('corsPolicy').child('maxAge'), ctx.report);
}

/** routeRef: an HTTPRoute of the Canary's namespace; the fields of a generated route then have no place. */
function checkRouteRef(ctx: CanaryContext, service: Json, analysis: Json | undefined): void {
  const ref = asRecord(service.routeRef);
  if (!ref) return;
  const path = SERVICE.child('routeRef');
  const name = asString(ref.name);
  if (name !== undefined && !isDns1123Subdomain(name)) ctx.report.invalid(path.child('name'), name, 'dns1123Subdomain');
  const group = asString(ref.group);
  if (group !== undefined && group !== GATEWAY_GROUP) ctx.report.notSupported(path.child('group'), group, [GATEWAY_GROUP]);
  const kind = asString(ref.kind);
  if (kind !== undefined && kind !== 'HTTPRoute') ctx.report.notSupported(path.child('kind'), kind, ['HTTPRoute']);
  for (const field of GENERATED_ROUTE_FIELDS) {
    const value = service[field];
    if (Array.isArray(value) ? value.length > 0 : isSet(value)) ctx.report.forbidden(SERVICE.child(field), 'routeRefKeepsRoute');
  }
  if ((asArray(analysis?.match) ?? []).length > 0) ctx.report.forbidden(ANALYSIS.child('match'), 'routeRefWeightsOnly', { feature: 'A/B routing on match' });
  if (analysis?.mirror === true) ctx.report.forbidden(ANALYSIS.child('mirror'), 'routeRefWeightsOnly', { feature: 'mirroring' });
}

/** The Gateway API rules, for a canary whose provider is gatewayapi:v1 or gatewayapi:v1beta1. */
export function checkGatewayApi(ctx: CanaryContext): void {
  if (!isGatewayApiProvider(ctx.provider)) return;
  const service = asRecord(ctx.spec.service);
  if (!service) return;
  const analysis = asRecord(ctx.spec.analysis);
  checkGatewayRefs(ctx, service);
  checkHostnames(ctx, service);
  checkServiceMatches(ctx, service);
  if (analysis) checkAbMatches(ctx, analysis);
  checkFilters(ctx, service);
  checkRouteRef(ctx, service, analysis);
}
