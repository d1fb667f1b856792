// spec.analysis: interval and threshold, the strategy the fields imply, the weight ladder, and what
// the provider can route (A/B match, mirroring, session affinity).

import { effectiveAnalysis, KUBERNETES_DEFAULT_ITERATIONS, MIN_INTERVAL_MS, TOTAL_WEIGHT } from './defaults.js';
import { formatDuration } from './durations.js';
import { FieldPath } from './field-errors.js';
import { message } from './messages.js';
import { isCookieAttributeValue, isCookieToken } from './names.js';
import { PROVIDER_CAPABILITIES, providersWith, type ProviderCapabilities } from './providers.js';
import { matchProblem } from './router-match.js';
import type { CanarySpec } from './types.js';
import { checkDuration, checkPercent, checkStringMatchMap } from './validate-common.js';
import { asArray, asInteger, asRecord, asString, isSet, type CanaryContext, type Json } from './validate-context.js';

const ANALYSIS = FieldPath.root('spec').child('analysis');
const HEADER_MATCH = ['exact', 'prefix', 'suffix', 'regex'] as const;
const QUERY_MATCH = ['exact', 'prefix', 'regex'] as const;
const LONG_ANALYSIS_MS = 30 * 60_000;
const MANY_STEPS = 50;

const FEATURES: Record<keyof ProviderCapabilities, string> = {
  weights: 'traffic splitting',
  abMatch: 'A/B routing on match',
  mirror: 'traffic mirroring',
  sessionAffinity: 'session affinity',
};

/** Forbids a field the canary's provider cannot route; true when allowed (or provider unknown). */
function requireCapability(ctx: CanaryContext, path: FieldPath, capability: keyof ProviderCapabilities): boolean {
  if (!ctx.provider || PROVIDER_CAPABILITIES[ctx.provider][capability]) return true;
  ctx.report.forbidden(path, 'providerCapability', {
    feature: FEATURES[capability],
    providers: providersWith(capability).join(', '),
    provider: ctx.provider,
  });
  return false;
}

function checkIntervalAndThreshold(ctx: CanaryContext, analysis: Json): number | undefined {
  const { report } = ctx;
  if (!isSet(analysis.interval)) report.required(ANALYSIS.child('interval'));
  const intervalMs = checkDuration(analysis.interval, ANALYSIS.child('interval'), report);
  if (intervalMs !== undefined && intervalMs < MIN_INTERVAL_MS) report.warn('shortInterval', { interval: String(analysis.interval) });
  if (!isSet(analysis.threshold)) report.required(ANALYSIS.child('threshold'));
  const threshold = asInteger(analysis.threshold);
  if (threshold !== undefined && threshold < 1) report.invalid(ANALYSIS.child('threshold'), threshold, 'thresholdMin');
  return intervalMs;
}

/** iterations, stepWeight and stepWeights are mutually exclusive, and one is required. */
function checkStrategyFields(ctx: CanaryContext, analysis: Json): boolean {
  const { report } = ctx;
  const has = (field: string): boolean => isSet(analysis[field]);
  const conflict = (field: string, other: string, reason: string): void =>
    report.forbidden(ANALYSIS.child(field), 'strategyConflict', { other, reason });
  if (!has('iterations') && !has('stepWeight') && !has('stepWeights')) {
    report.required(ANALYSIS, message('strategyRequired'));
    return false;
  }
  let clean = true;
  for (const field of ['stepWeight', 'stepWeights']) {
    if (has('iterations') && has(field)) {
      conflict(field, 'iterations', message('iterationsVersusWeights', { field }));
      clean = false;
    }
  }
  if (has('stepWeight') && has('stepWeights')) {
    conflict('stepWeights', 'stepWeight', message('stepWeightVersusSteps'));
    clean = false;
  }
  const iterations = asInteger(analysis.iterations);
  if (iterations !== undefined && iterations < 1) report.invalid(ANALYSIS.child('iterations'), iterations, 'mustBePositive');
  return clean;
}

function checkStepWeights(ctx: CanaryContext, analysis: Json, maxWeight: number | undefined): void {
  const list = asArray(analysis.stepWeights);
  if (!list) return;
  const path = ANALYSIS.child('stepWeights');
  if (list.length === 0) ctx.report.invalid(path, [], 'stepWeightsEmpty');
  let previous: number | undefined;
  list.forEach((item, i) => {
    const weight = checkPercent(item, path.index(i), ctx.report, 1);
    if (weight === undefined) return;
    if (previous !== undefined && weight <= previous) ctx.report.invalid(path.index(i), weight, 'stepWeightsIncreasing', { previous });
    previous = weight;
  });
  const last = asInteger(list.at(-1));
  if (maxWeight !== undefined && last !== undefined && maxWeight !== last) {
    ctx.report.invalid(ANALYSIS.child('maxWeight'), maxWeight, 'maxWeightWithSteps', { last });
  }
}

function checkWeights(ctx: CanaryContext, analysis: Json): void {
  const { report } = ctx;
  const maxWeight = checkPercent(analysis.maxWeight, ANALYSIS.child('maxWeight'), report, 1);
  const stepWeight = checkPercent(analysis.stepWeight, ANALYSIS.child('stepWeight'), report, 1);
  const promotion = checkPercent(analysis.stepWeightPromotion, ANALYSIS.child('stepWeightPromotion'), report, 0);
  checkStepWeights(ctx, analysis, maxWeight);
  const effectiveMax = maxWeight ?? TOTAL_WEIGHT;
  if (stepWeight !== undefined && stepWeight > effectiveMax) report.invalid(ANALYSIS.child('stepWeight'), stepWeight, 'weightAboveMax', { maxWeight: effectiveMax });
  if (ctx.provider === 'kubernetes') {
    if (!isSet(analysis.iterations) && (isSet(analysis.stepWeight) || isSet(analysis.stepWeights) || isSet(analysis.maxWeight))) {
      report.warn('kubernetesWeights', { iterations: KUBERNETES_DEFAULT_ITERATIONS });
    }
    if (promotion) report.warn('kubernetesPromotion');
    return;
  }
  if (isSet(analysis.iterations) && isSet(analysis.maxWeight)) report.warn('maxWeightIgnored');
  if (ctx.strategy !== 'canary') return;
  const ladderMax = asInteger(asArray(analysis.stepWeights)?.at(-1)) ?? effectiveMax;
  if (promotion !== undefined && promotion > ladderMax) report.invalid(ANALYSIS.child('stepWeightPromotion'), promotion, 'promotionAboveMax', { maxWeight: ladderMax });
  if (stepWeight !== undefined && stepWeight <= effectiveMax) {
    if (stepWeight === 1) report.warn('onePercentStep', { steps: effectiveMax, maxWeight: effectiveMax });
    if (effectiveMax % stepWeight !== 0) {
      report.warn('notMultiple', { maxWeight: effectiveMax, stepWeight, overshoot: Math.min(Math.ceil(effectiveMax / stepWeight) * stepWeight, TOTAL_WEIGHT) });
    }
  }
}

function checkMirror(ctx: CanaryContext, analysis: Json): void {
  if (analysis.mirror === true && requireCapability(ctx, ANALYSIS.child('mirror'), 'mirror') && ctx.strategy === 'ab-testing') {
    ctx.report.forbidden(ANALYSIS.child('mirror'), 'mirrorAB');
  }
  if (isSet(analysis.mirrorWeight)) {
    checkPercent(analysis.mirrorWeight, ANALYSIS.child('mirrorWeight'), ctx.report, 0);
    if (analysis.mirror !== true) ctx.report.forbidden(ANALYSIS.child('mirrorWeight'), 'mirrorWeightNeedsMirror');
  }
}

function checkMatch(ctx: CanaryContext, analysis: Json): void {
  const list = asArray(analysis.match);
  if (!list || list.length === 0) return;
  const path = ANALYSIS.child('match');
  if (!requireCapability(ctx, path, 'abMatch')) return;
  if (!isSet(analysis.iterations)) ctx.report.forbidden(path, 'matchNeedsIterations');
  const routable = ctx.provider ? matchProblem(ctx.provider, list) : undefined;
  if (routable) {
    const at = path.index(routable.index);
    const field = routable.field ? at.child(routable.field) : at;
    ctx.report.forbidden(routable.header ? field.child(routable.header) : field, 'matchNotRoutable', { reason: routable.reason });
  }
  list.forEach((item, i) => {
    const match = asRecord(item);
    if (!match) return;
    if (!['headers', 'queryParams', 'sourceLabels'].some((k) => Object.keys(asRecord(match[k]) ?? {}).length > 0)) {
      ctx.report.invalid(path.index(i), match, 'emptyMatch');
    }
    checkStringMatchMap(match.headers, path.index(i).child('headers'), ctx.report, HEADER_MATCH);
    checkStringMatchMap(match.queryParams, path.index(i).child('queryParams'), ctx.report, QUERY_MATCH);
  });
}

function checkSessionAffinity(ctx: CanaryContext, analysis: Json): void {
  const affinity = asRecord(analysis.sessionAffinity);
  const path = ANALYSIS.child('sessionAffinity');
  if (!affinity || !requireCapability(ctx, path, 'sessionAffinity')) return;
  // Davy changes only the weights of the user's own HTTPRoute: the cookie rules have no place there.
  if (isSet(asRecord(ctx.spec.service)?.routeRef)) ctx.report.forbidden(path, 'affinityRouteRef');
  if (ctx.strategy !== 'canary') ctx.report.warn('affinityNotWeighted', { strategy: ctx.strategy === 'ab-testing' ? 'A/B testing' : 'blue/green' });
  const cookie = asString(affinity.cookieName);
  const primary = asString(affinity.primaryCookieName);
  if (cookie !== undefined && !isCookieToken(cookie)) ctx.report.invalid(path.child('cookieName'), cookie, 'cookieName');
  if (primary !== undefined && !isCookieToken(primary)) ctx.report.invalid(path.child('primaryCookieName'), primary, 'cookieName');
  else if (primary !== undefined && primary === cookie) ctx.report.invalid(path.child('primaryCookieName'), primary, 'cookieNamesEqual');
  const maxAge = asInteger(affinity.maxAge);
  if (maxAge !== undefined && maxAge < 0) ctx.report.invalid(path.child('maxAge'), maxAge, 'mustNotBeNegative');
  // They go into the Set-Cookie header as they are: a ';' would add attributes of its own.
  for (const key of ['domain', 'path'] as const) {
    const value = asString(affinity[key]);
    if (value !== undefined && !isCookieAttributeValue(value)) ctx.report.invalid(path.child(key), value, 'cookieAttribute');
  }
}

/** Warnings on the whole run's length, from the same defaults the stepper uses. */
function warnDuration(ctx: CanaryContext, intervalMs: number): void {
  const effective = effectiveAnalysis(ctx.spec as unknown as CanarySpec, ctx.provider ? { meshProvider: ctx.provider } : {});
  const steps = effective.strategy === 'canary' ? effective.weights.length : effective.iterations;
  const interval = Math.max(intervalMs, MIN_INTERVAL_MS);
  if (steps * interval > LONG_ANALYSIS_MS) {
    ctx.report.warn('longAnalysis', { duration: formatDuration(steps * interval), steps, interval: formatDuration(interval) });
  }
  if (steps > MANY_STEPS) ctx.report.warn('manySteps', { steps });
}

/** Returns the interval in ms when valid, for the webhook timeout warning. */
export function checkAnalysis(ctx: CanaryContext): number | undefined {
  const analysis = asRecord(ctx.spec.analysis);
  if (!analysis) return undefined;
  const intervalMs = checkIntervalAndThreshold(ctx, analysis);
  if (checkStrategyFields(ctx, analysis)) checkWeights(ctx, analysis);
  checkPercent(analysis.primaryReadyThreshold, ANALYSIS.child('primaryReadyThreshold'), ctx.report, 0);
  checkPercent(analysis.canaryReadyThreshold, ANALYSIS.child('canaryReadyThreshold'), ctx.report, 0);
  checkMirror(ctx, analysis);
  checkMatch(ctx, analysis);
  checkSessionAffinity(ctx, analysis);
  const clean = !ctx.report.errors.some((e) => e.path.startsWith(ANALYSIS.toString()) || e.path.startsWith('spec.provider'));
  if (intervalMs !== undefined && clean) warnDuration(ctx, intervalMs);
  return intervalMs;
}
