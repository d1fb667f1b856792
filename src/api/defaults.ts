// Every default Davy applies to a Canary, in one place. The stepper, the simulator and the
// validator's warnings read a spec through effectiveAnalysis() and nowhere else. It expects a spec
// the validator accepted; on anything else it still returns numbers, never throws.

import { parseDuration } from './durations.js';
import { PROVIDER_OBSERVER, resolveProvider, type BuiltinObserver, type ProviderName } from './providers.js';
import { strategyOf, type Strategy } from './strategy.js';
import type { AlertSeverity, CanaryAlert, CanaryMetric, CanarySpec, CanaryWebhook, OnNoData, WebhookType } from './types.js';

export const DEFAULT_INTERVAL_MS = 60_000;
/** Flagger steps no faster than every 10s; so does Davy (shorter intervals are warned about). */
export const MIN_INTERVAL_MS = 10_000;
export const DEFAULT_THRESHOLD = 1;
export const DEFAULT_MAX_WEIGHT = 100;
export const TOTAL_WEIGHT = 100;
/** Flagger's kubernetes provider runs blue/green with this many iterations when none are given. */
export const KUBERNETES_DEFAULT_ITERATIONS = 10;
export const DEFAULT_READY_THRESHOLD = 100;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_METRIC_INTERVAL = '1m';
export const DEFAULT_METRIC_INTERVAL_MS = 60_000;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_TYPE: WebhookType = 'rollout';
export const DEFAULT_ON_NO_DATA: OnNoData = 'fail';
export const DEFAULT_PORT_NAME = 'http';
export const DEFAULT_MIRROR_WEIGHT = 100;
export const DEFAULT_COOKIE_MAX_AGE_SECONDS = 86_400;
export const DEFAULT_ISTIO_GATEWAYS: readonly string[] = ['mesh'];
export const DEFAULT_ALERT_CHANNEL = 'general';
export const DEFAULT_ALERT_USERNAME = 'flagger';
export const DEFAULT_METRICS_SERVER = 'http://prometheus:9090';
export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];
export const isBuiltinMetric = (name: unknown): name is BuiltinMetric =>
  typeof name === 'string' && (BUILTIN_METRICS as readonly string[]).includes(name);

/** Suffixes of the objects Davy creates (DESIGN.md, Objects). */
export const CANARY_SUFFIX = '-canary';
export const PRIMARY_SUFFIX = '-primary';

export interface EffectiveMetric {
  name: string;
  source: 'builtin' | 'query' | 'template';
  intervalMs: number;
  /** Inclusive bounds; the legacy `threshold` becomes min for success rate, max otherwise. */
  min?: number;
  max?: number;
  onNoData: OnNoData;
  query?: string;
  templateRef?: { name: string; namespace: string };
  templateVariables: Record<string, string>;
}

export interface EffectiveWebhook {
  name: string;
  type: WebhookType;
  url: string;
  timeoutMs: number;
  retries: number;
  disableTLS: boolean;
  muteAlert: boolean;
  metadata: Record<string, string>;
}

export interface EffectiveAlert {
  name: string;
  /** Empty means `info` in Davy (Flagger's empty severity silently matches nothing). */
  severity: AlertSeverity;
  providerRef: { name: string; namespace: string };
}

export interface EffectiveService {
  /** Apex service `<svc>`; `<svc>-primary` and `<svc>-canary` are derived. */
  name: string;
  primaryName: string;
  canaryName: string;
  port: number;
  portName: string;
  targetPort: number | string;
  gateways: readonly string[];
}

export interface EffectiveAnalysis {
  provider: ProviderName;
  observer: BuiltinObserver;
  strategy: Strategy;
  /** The copy that runs the revision under analysis: `<target>-canary`. */
  canaryWorkloadName: string;
  intervalMs: number;
  threshold: number;
  /** Blue/green and A/B: the number of analysis runs; 0 for a weighted canary. */
  iterations: number;
  /** Weighted canary: the weight at which promotion starts (the last rung of the ladder). */
  maxWeight: number;
  /** Weighted canary: the canary weights in order, ending at maxWeight; empty otherwise. */
  weights: number[];
  /** The primary weights while promoting, ending at 100; [100] when stepWeightPromotion is 0. */
  promotionWeights: number[];
  mirror: boolean;
  mirrorWeight: number;
  primaryReadyThreshold: number;
  canaryReadyThreshold: number;
  progressDeadlineMs: number;
  skipAnalysis: boolean;
  suspend: boolean;
  rewriteQueries: boolean;
  metricsServer: string;
  metrics: EffectiveMetric[];
  webhooks: EffectiveWebhook[];
  alerts: EffectiveAlert[];
  service: EffectiveService;
  sessionAffinity?: { cookieName: string; primaryCookieName?: string; maxAgeSeconds: number };
}

export interface DefaultsOptions {
  /** The stepper's --mesh-provider. */
  meshProvider?: ProviderName;
  /** The stepper's --metrics-server. */
  metricsServer?: string;
  /** The Canary's namespace, for references without one. */
  namespace?: string;
}

/** The object members of a list that should hold objects; anything else yields []. */
const objects = <T>(value: unknown): T[] =>
  Array.isArray(value) ? value.filter((item): item is T => item !== null && typeof item === 'object' && !Array.isArray(item)) : [];

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
// Any JSON may reach the defaults before validation: a name that is not a string names nothing.
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** A whole percentage step of at least 1 (so every ladder has at most 100 rungs). */
const step = (value: unknown): number | undefined => (Number.isInteger(value) && (value as number) >= 1 ? (value as number) : undefined);
const positive = (value: unknown): number | undefined => {
  const n = num(value);
  return n !== undefined && n > 0 ? n : undefined;
};

/** The analysis interval in ms: 60s when unset or unparsable, never below 10s. */
export function effectiveIntervalMs(interval: unknown): number {
  const ms = parseDuration(interval);
  if (ms === undefined || ms <= 0) return DEFAULT_INTERVAL_MS;
  return Math.max(ms, MIN_INTERVAL_MS);
}

/**
 * The canary weights a weighted analysis walks through. With stepWeights, the list itself (capped
 * at 100); with stepWeight, multiples of it capped at maxWeight: stepWeight 30 and maxWeight 50
 * give [30, 50] (Flagger would overshoot to 60).
 */
export function weightLadder(stepWeight: unknown, stepWeights: unknown, maxWeight: unknown): number[] {
  if (Array.isArray(stepWeights) && stepWeights.length > 0) {
    return stepWeights.filter((w): w is number => num(w) !== undefined).map((w) => Math.min(w, TOTAL_WEIGHT));
  }
  const increment = step(stepWeight);
  const max = Math.min(positive(maxWeight) ?? DEFAULT_MAX_WEIGHT, TOTAL_WEIGHT);
  if (increment === undefined) return [];
  const ladder: number[] = [];
  for (let w = increment; w < max; w += increment) ladder.push(w);
  ladder.push(max);
  return ladder;
}

/** The primary weights while promoting, from 100 - maxWeight up to 100 by stepWeightPromotion. */
export function promotionLadder(stepWeightPromotion: unknown, maxWeight: number): number[] {
  const increment = step(stepWeightPromotion);
  if (increment === undefined) return [TOTAL_WEIGHT];
  const ladder: number[] = [];
  for (let w = TOTAL_WEIGHT - maxWeight + increment; w < TOTAL_WEIGHT; w += increment) ladder.push(w);
  ladder.push(TOTAL_WEIGHT);
  return ladder;
}

export function effectiveMetric(metric: CanaryMetric, namespace: string): EffectiveMetric {
  const source = metric.templateRef ? 'template' : metric.query ? 'query' : 'builtin';
  const legacy = num(metric.threshold);
  const range = metric.thresholdRange ?? {};
  const legacyIsMin = metric.name === 'request-success-rate';
  const min = num(range.min) ?? (legacyIsMin ? legacy : undefined);
  const max = num(range.max) ?? (legacyIsMin ? undefined : legacy);
  return {
    name: metric.name,
    source,
    intervalMs: positive(parseDuration(metric.interval)) ?? DEFAULT_METRIC_INTERVAL_MS,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    onNoData: metric.onNoData ?? DEFAULT_ON_NO_DATA,
    ...(metric.query ? { query: metric.query } : {}),
    ...(metric.templateRef ? { templateRef: { name: metric.templateRef.name, namespace: metric.templateRef.namespace ?? namespace } } : {}),
    templateVariables: { ...(metric.templateVariables ?? {}) },
  };
}

export function effectiveWebhook(hook: CanaryWebhook): EffectiveWebhook {
  return {
    name: hook.name,
    type: hook.type || DEFAULT_WEBHOOK_TYPE,
    url: hook.url,
    timeoutMs: positive(parseDuration(hook.timeout)) ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    retries: Math.max(0, num(hook.retries) ?? 0),
    disableTLS: hook.disableTLS === true,
    muteAlert: hook.muteAlert === true,
    metadata: { ...(hook.metadata ?? {}) },
  };
}

export function effectiveService(spec: CanarySpec, provider: ProviderName): EffectiveService {
  const service = spec.service;
  const name = text(service?.name) || text(spec.targetRef?.name) || '';
  const port = num(service?.port) ?? 0;
  const gateways = service?.gateways?.length ? service.gateways : provider === 'istio' ? DEFAULT_ISTIO_GATEWAYS : [];
  return {
    name,
    primaryName: `${name}${PRIMARY_SUFFIX}`,
    canaryName: `${name}${CANARY_SUFFIX}`,
    port,
    portName: service?.portName || DEFAULT_PORT_NAME,
    targetPort: service?.targetPort ?? port,
    gateways,
  };
}

function effectiveIterations(spec: CanarySpec, provider: ProviderName, strategy: Strategy): number {
  const iterations = positive(spec.analysis?.iterations) ?? 0;
  if (strategy === 'canary') return 0;
  if (provider === 'kubernetes' && iterations < 1) return KUBERNETES_DEFAULT_ITERATIONS;
  return iterations;
}

export function effectiveAnalysis(input: CanarySpec, options: DefaultsOptions = {}): EffectiveAnalysis {
  const spec = (input !== null && typeof input === 'object' ? input : {}) as CanarySpec;
  const provider = resolveProvider(spec.provider, options.meshProvider);
  const strategy = strategyOf(spec, options.meshProvider);
  const analysis = spec.analysis !== null && typeof spec.analysis === 'object' ? spec.analysis : {};
  const namespace = options.namespace ?? '';
  const weights = strategy === 'canary' ? weightLadder(analysis.stepWeight, analysis.stepWeights, analysis.maxWeight) : [];
  const maxWeight = weights.at(-1) ?? Math.min(positive(analysis.maxWeight) ?? DEFAULT_MAX_WEIGHT, TOTAL_WEIGHT);
  const affinity = analysis.sessionAffinity;
  return {
    provider,
    observer: PROVIDER_OBSERVER[provider],
    strategy,
    canaryWorkloadName: `${text(spec.targetRef?.name) ?? ''}${CANARY_SUFFIX}`,
    intervalMs: effectiveIntervalMs(analysis.interval),
    threshold: positive(analysis.threshold) ?? DEFAULT_THRESHOLD,
    iterations: effectiveIterations(spec, provider, strategy),
    maxWeight,
    weights,
    promotionWeights: promotionLadder(analysis.stepWeightPromotion, maxWeight),
    mirror: analysis.mirror === true,
    mirrorWeight: num(analysis.mirrorWeight) ?? DEFAULT_MIRROR_WEIGHT,
    primaryReadyThreshold: num(analysis.primaryReadyThreshold) ?? DEFAULT_READY_THRESHOLD,
    canaryReadyThreshold: num(analysis.canaryReadyThreshold) ?? DEFAULT_READY_THRESHOLD,
    progressDeadlineMs: (positive(spec.progressDeadlineSeconds) ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000,
    skipAnalysis: spec.skipAnalysis === true,
    suspend: spec.suspend === true,
    rewriteQueries: analysis.rewriteQueries !== false,
    metricsServer: spec.metricsServer || options.metricsServer || DEFAULT_METRICS_SERVER,
    metrics: objects<CanaryMetric>(analysis.metrics).map((m) => effectiveMetric(m, namespace)),
    webhooks: objects<CanaryWebhook>(analysis.webhooks).map(effectiveWebhook),
    alerts: objects<CanaryAlert>(analysis.alerts).map((a) => ({
      name: a.name,
      severity: a.severity || 'info',
      providerRef: { name: a.providerRef?.name ?? '', namespace: a.providerRef?.namespace ?? namespace },
    })),
    service: effectiveService(spec, provider),
    ...(affinity
      ? {
          sessionAffinity: {
            cookieName: affinity.cookieName,
            ...(affinity.primaryCookieName ? { primaryCookieName: affinity.primaryCookieName } : {}),
            maxAgeSeconds: positive(affinity.maxAge) ?? DEFAULT_COOKIE_MAX_AGE_SECONDS,
          },
        }
      : {}),
  };
}
