// The Canary's top-level rules: provider, target, autoscaler, references to other routers'
// objects, and the few scalar fields; the service and the analysis have their own files.

import { warnIgnoredByProvider } from './validate-service.js';
import { checkSubdomain, checkUrl } from './validate-common.js';
import { FieldPath } from './field-errors.js';
import { KNATIVE_API_VERSION } from './providers.js';
import { message } from './messages.js';
import { DAVY_PROVIDERS, isDavyProvider, isProviderName, resolveProvider, type ProviderName } from './providers.js';
import { asInteger, asRecord, asString, isSet, type CanaryContext, type Json, type Report } from './validate-context.js';
import { DNS1123_SUBDOMAIN_MAX } from './names.js';

export const TARGET_KINDS = ['Deployment', 'DaemonSet'] as const;
export const TARGET_API_VERSION = 'apps/v1';
export const AUTOSCALER_API_VERSIONS: Record<string, string> = {
  HorizontalPodAutoscaler: 'autoscaling/v2',
  ScaledObject: 'keda.sh/v1alpha1',
};
/** Kinds Flagger targets that Davy cannot hold yet. */
const FLAGGER_ONLY_TARGET_KINDS = ['Service'];

const SPEC = FieldPath.root('spec');

/** The provider check; returns the routed provider the canary runs with, if any. */
export function checkProvider(spec: Json, report: Report, meshProvider?: ProviderName): CanaryContext['provider'] {
  const raw = spec.provider;
  const path = SPEC.child('provider');
  if (typeof raw === 'string') {
    if (!isProviderName(raw)) report.notSupported(path, raw, DAVY_PROVIDERS);
    else if (raw === 'appmesh') report.notSupported(path, raw, DAVY_PROVIDERS, 'appmeshLegacy');
    else if (!isDavyProvider(raw)) report.notSupported(path, raw, DAVY_PROVIDERS, 'notSupportedYet');
  }
  if (isSet(raw) && !isDavyProvider(raw)) return undefined;
  const resolved = resolveProvider(isDavyProvider(raw) ? raw : undefined, meshProvider);
  return isDavyProvider(resolved) ? resolved : undefined;
}

/** targetRef: apps/v1 Deployment or DaemonSet, or a Knative Service for provider knative, with a name `<name>-canary` can extend. */
export function checkTargetRef(spec: Json, report: Report, provider: CanaryContext['provider']): void {
  const ref = asRecord(spec.targetRef);
  if (!ref) return;
  const path = SPEC.child('targetRef');
  const kind = asString(ref.kind);
  const apiVersion = asString(ref.apiVersion);
  if (checkKnative(ref, path, report, provider)) return;
  if (kind !== undefined) {
    if ((TARGET_KINDS as readonly string[]).includes(kind)) {
      if (apiVersion !== undefined && apiVersion !== TARGET_API_VERSION) report.notSupported(path.child('apiVersion'), apiVersion, [TARGET_API_VERSION]);
    } else if (FLAGGER_ONLY_TARGET_KINDS.includes(kind)) {
      report.notSupported(path.child('kind'), kind, TARGET_KINDS, 'notSupportedYet');
    } else {
      report.notSupported(path.child('kind'), kind, TARGET_KINDS);
    }
  }
  const name = asString(ref.name);
  if (name !== undefined) checkSubdomain(name, path.child('name'), report, DNS1123_SUBDOMAIN_MAX - '-canary'.length, `"${name}-canary"`);
}

/**
 * Flagger's rule both ways: a Knative Service target needs provider knative, and provider knative
 * needs a Knative Service target. True when the target is a Knative Service (its checks are done).
 */
function checkKnative(ref: Json, path: FieldPath, report: Report, provider: CanaryContext['provider']): boolean {
  const knative = asString(ref.apiVersion) === KNATIVE_API_VERSION && asString(ref.kind) === 'Service';
  if (knative) {
    if (provider !== undefined && provider !== 'knative') report.invalid(SPEC.child('provider'), provider, 'knativeProvider', { provider });
    checkSubdomain(ref.name, path.child('name'), report);
    return true;
  }
  if (provider !== 'knative') return false;
  const kind = asString(ref.kind);
  if (kind !== undefined && kind !== 'Service') report.invalid(path.child('kind'), kind, 'knativeTarget');
  else if (asString(ref.apiVersion) !== undefined) report.invalid(path.child('apiVersion'), ref.apiVersion, 'knativeTarget');
  return true;
}

export function checkAutoscalerRef(spec: Json, report: Report): void {
  const ref = asRecord(spec.autoscalerRef);
  if (!ref) return;
  const path = SPEC.child('autoscalerRef');
  if (asString(asRecord(spec.targetRef)?.kind) === 'DaemonSet') report.forbidden(path, 'daemonSetAutoscaler');
  if (asString(asRecord(spec.targetRef)?.apiVersion) === KNATIVE_API_VERSION) report.forbidden(path, 'knativeAutoscaler');
  const kind = asString(ref.kind);
  const expected = kind === undefined ? undefined : AUTOSCALER_API_VERSIONS[kind];
  if (kind !== undefined && expected === undefined) report.notSupported(path.child('kind'), kind, Object.keys(AUTOSCALER_API_VERSIONS));
  const apiVersion = asString(ref.apiVersion);
  if (expected !== undefined && apiVersion !== undefined && apiVersion !== expected) report.notSupported(path.child('apiVersion'), apiVersion, [expected]);
  checkSubdomain(ref.name, path.child('name'), report);
  if (isSet(ref.primaryScalerQueries)) {
    if (kind !== 'ScaledObject') report.forbidden(path.child('primaryScalerQueries'), 'scaledObjectOnly');
    else report.warn('primaryScalerQueries');
  }
  const replicas = asRecord(ref.primaryScalerReplicas);
  if (replicas) {
    report.warn('primaryScalerReplicas');
    const min = asInteger(replicas.minReplicas);
    const max = asInteger(replicas.maxReplicas);
    if (min !== undefined && max !== undefined && min > max) {
      report.invalid(path.child('primaryScalerReplicas').child('minReplicas'), min, 'minAboveMax', { maxField: 'maxReplicas', max });
    }
  }
}

/** ingressRef, routeRef and upstreamRef are read by these providers only. */
const OTHER_ROUTER_REFS: Record<string, readonly ProviderName[]> = {
  ingressRef: ['nginx', 'skipper'],
  routeRef: ['apisix'],
  upstreamRef: ['gloo'],
};
/** The references a provider cannot route without (gloo's upstreamRef only lends settings). */
const REQUIRED_ROUTER_REFS: Record<string, readonly ProviderName[]> = {
  ingressRef: ['nginx', 'skipper'],
  routeRef: ['apisix'],
};

export function checkScalars(ctx: CanaryContext): void {
  const { spec, report } = ctx;
  checkUrl(spec.metricsServer, SPEC.child('metricsServer'), report);
  const deadline = asInteger(spec.progressDeadlineSeconds);
  if (deadline !== undefined && deadline <= 0) report.invalid(SPEC.child('progressDeadlineSeconds'), deadline, 'mustBePositive');
  if (spec.revertOnDeletion === true) report.warn('revertOnDeletion');
  for (const [field, providers] of Object.entries(OTHER_ROUTER_REFS)) {
    if (isSet(spec[field])) warnIgnoredByProvider(ctx, SPEC.child(field), providers);
  }
  for (const [field, providers] of Object.entries(REQUIRED_ROUTER_REFS)) {
    if (!isSet(spec[field]) && ctx.provider && providers.includes(ctx.provider)) report.required(SPEC.child(field), message('routerRefRequired', { provider: ctx.provider }));
  }
}
