// One analysis tick's metric checks for one canary: resolve each metric to a query and a provider
// (builtin observer, inline query or MetricTemplate), run them in parallel with a bound, and judge
// each value against its thresholds. Every check comes back as a value with its rendered query,
// value, bounds, verdict and message; nothing here throws, logs or decides what no data means
// (the metric's onNoData is the stepper's to apply).

import { isBuiltinMetric, type EffectiveAnalysis, type EffectiveMetric } from '../api/defaults.js';
import { notSharedReason, templateSharedWith } from '../api/template-sharing.js';
import type { Canary, MetricTemplate } from '../api/types.js';
import { describeError } from '../webhooks/http.js';
import {
  builtinQueryFailed,
  judge,
  noDataMessage,
  NO_USABLE_QUERY,
  queryFailed,
  styleOf,
  templateError,
  templateRenderError,
  templateSecretError,
} from './messages.js';
import { OBSERVERS } from './observers/index.js';
import { METRIC_PROVIDERS } from './providers/index.js';
import type { MetricProvider, MetricProviderRegistry, MetricResult } from './provider.js';
import { queryScope, renderBuiltin, renderQuery, type QueryScope } from './render.js';
import { mapBounded } from '../lib/map-bounded.js';

export type Verdict = 'ok' | 'failed' | 'noData' | 'error';

export interface MetricCheck {
  name: string;
  /** The query as sent; the unrendered text when rendering failed; empty when there is none. */
  query: string;
  value?: number;
  verdict: Verdict;
  min?: number;
  max?: number;
  message: string;
}

/** Reads the cluster for MetricTemplates; injected, so evaluation needs no API client. */
export interface TemplateLookup {
  /** The MetricTemplate, or undefined when it does not exist. May throw; a throw fails the check. */
  template(name: string, namespace: string): Promise<MetricTemplate | undefined>;
  /** A Secret's `data`, base64-decoded, or undefined when it does not exist. May throw. */
  secretData(name: string, namespace: string): Promise<Record<string, string> | undefined>;
}

export interface EvaluateOptions {
  lookup: TemplateLookup;
  /** Default: the real registry. */
  providers?: MetricProviderRegistry;
  /** Metrics queried at once for this canary; default 4. */
  concurrency?: number;
  /** Per-query timeout handed to providers; their own default when unset. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** `{{ route }}` in place of spec.routeRef's name: a Knative target's latest created revision. */
  route?: string;
}

export const DEFAULT_METRIC_CONCURRENCY = 4;

/** A metric resolved to what will run, or the reason it cannot run. */
export type MetricPlan =
  | { kind: 'ready'; query: string; provider: MetricProvider; scale: number }
  | { kind: 'error'; query: string; message: string };

/** A metric's query as it will be sent (rendered and rewritten), or the reason it cannot be. */
export type RenderedMetric =
  | { kind: 'rendered'; query: string; scale: number; template?: { id: string; namespace: string; spec: MetricTemplate['spec'] } }
  | { kind: 'error'; query: string; message: string };

/**
 * The query a metric will send, with no provider and no secret: what `davy validate` prints.
 * planMetric builds on it.
 */
export async function renderMetric(
  scope: QueryScope,
  analysis: Pick<EffectiveAnalysis, 'observer' | 'rewriteQueries'>,
  metric: EffectiveMetric,
  lookup: Pick<TemplateLookup, 'template'>,
): Promise<RenderedMetric> {
  if (metric.source === 'template' && metric.templateRef) {
    // effectiveMetric fills the namespace when it was given one; a bare effectiveAnalysis() was not.
    const namespace = metric.templateRef.namespace || scope.namespace;
    const id = `${metric.templateRef.name}.${namespace}`;
    let template: MetricTemplate | undefined;
    try {
      template = await lookup.template(metric.templateRef.name, namespace);
    } catch (error) {
      return { kind: 'error', query: '', message: templateError(id, describeError(error)) };
    }
    if (!template) return { kind: 'error', query: '', message: templateError(id, 'not found') };
    if (!templateSharedWith({ ...template, metadata: { ...template.metadata, namespace } }, scope.namespace)) {
      return { kind: 'error', query: '', message: templateError(id, notSharedReason(metric.templateRef.name, namespace, scope.namespace)) };
    }
    const rendered = renderQuery(template.spec.query, scope, metric.intervalMs, metric.templateVariables, analysis.rewriteQueries);
    if (!rendered.ok) return { kind: 'error', query: template.spec.query, message: templateRenderError(id, rendered.message) };
    return { kind: 'rendered', query: rendered.query, scale: 1, template: { id, namespace, spec: template.spec } };
  }
  if (metric.source === 'query' && metric.query) {
    const rendered = renderQuery(metric.query, scope, metric.intervalMs, metric.templateVariables, analysis.rewriteQueries);
    if (!rendered.ok) return { kind: 'error', query: metric.query, message: queryFailed(metric.name, rendered.message) };
    return { kind: 'rendered', query: rendered.query, scale: 1 };
  }
  if (!isBuiltinMetric(metric.name)) return { kind: 'error', query: '', message: NO_USABLE_QUERY };
  const builtin = OBSERVERS[analysis.observer][metric.name];
  const rendered = renderBuiltin(builtin.template, scope, metric.intervalMs);
  if (!rendered.ok) return { kind: 'error', query: builtin.template, message: builtinQueryFailed(metric.name, rendered.message) };
  return { kind: 'rendered', query: rendered.query, scale: builtin.scale };
}

/** Everything short of querying: the rendered query and its provider (with its secret, for a MetricTemplate). */
export async function planMetric(
  scope: QueryScope,
  analysis: Pick<EffectiveAnalysis, 'observer' | 'metricsServer' | 'rewriteQueries'>,
  metric: EffectiveMetric,
  options: Pick<EvaluateOptions, 'lookup' | 'providers' | 'timeoutMs'>,
): Promise<MetricPlan> {
  const rendered = await renderMetric(scope, analysis, metric, options.lookup);
  if (rendered.kind === 'error') return rendered;
  const providers = options.providers ?? METRIC_PROVIDERS;
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const { query, scale, template } = rendered;
  if (!template) return { kind: 'ready', query, provider: providers.prometheus({ address: analysis.metricsServer, ...timeout }), scale };
  const { provider } = template.spec;
  let secretData: Record<string, string> | undefined;
  if (provider.secretRef?.name) {
    const secret = provider.secretRef.name;
    try {
      secretData = await options.lookup.secretData(secret, template.namespace);
    } catch (error) {
      return { kind: 'error', query, message: templateSecretError(template.id, secret, describeError(error)) };
    }
    if (!secretData) return { kind: 'error', query, message: templateSecretError(template.id, secret, 'not found') };
  }
  const factory = providers[provider.type] as MetricProviderRegistry[keyof MetricProviderRegistry] | undefined;
  if (!factory) return { kind: 'error', query, message: templateError(template.id, `unknown provider type ${String(provider.type)}`) };
  const instance = factory({
    ...(provider.address ? { address: provider.address } : {}),
    ...(provider.headers ? { headers: provider.headers } : {}),
    ...(secretData ? { secretData } : {}),
    ...(provider.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(provider.region ? { region: provider.region } : {}),
    intervalMs: metric.intervalMs,
    ...timeout,
  });
  return { kind: 'ready', query, provider: instance, scale };
}

/** Checks `metrics` (by default all of the analysis'; pass the due ones) in parallel, in order. */
export async function evaluateMetrics(
  canary: Canary,
  analysis: EffectiveAnalysis,
  options: EvaluateOptions,
  metrics: readonly EffectiveMetric[] = analysis.metrics,
): Promise<MetricCheck[]> {
  const scope = { ...queryScope(canary, analysis), ...(options.route ? { routeName: options.route } : {}) };
  const workload = `${scope.canaryWorkloadName}.${scope.namespace}`;
  return mapBounded(metrics, options.concurrency ?? DEFAULT_METRIC_CONCURRENCY, async (metric) => {
    const plan = await planMetric(scope, analysis, metric, options).catch(
      (error: unknown): MetricPlan => ({ kind: 'error', query: '', message: queryFailed(metric.name, describeError(error)) }),
    );
    const bounds = { ...(metric.min === undefined ? {} : { min: metric.min }), ...(metric.max === undefined ? {} : { max: metric.max }) };
    if (plan.kind === 'error') return { name: metric.name, query: plan.query, verdict: 'error', ...bounds, message: plan.message };
    const result = await plan.provider.query(plan.query, options.signal).catch(
      (error: unknown): MetricResult => ({ kind: 'error', message: describeError(error) }),
    );
    const base = { name: metric.name, query: plan.query, ...bounds };
    switch (result.kind) {
      case 'error': {
        const message = metric.source === 'builtin' ? builtinQueryFailed(metric.name, result.message) : queryFailed(metric.name, result.message);
        return { ...base, verdict: 'error', message };
      }
      case 'noData':
        return { ...base, verdict: 'noData', message: noDataMessage(metric, result.reason, analysis.observer, workload) };
      case 'ok': {
        const value = result.value * plan.scale;
        const verdict = judge(styleOf(metric), metric.name, value, metric.min, metric.max);
        return { ...base, value, verdict: verdict.ok ? 'ok' : 'failed', message: verdict.message };
      }
    }
  });
}
