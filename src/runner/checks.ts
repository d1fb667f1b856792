// Running what plan() asked for: the webhooks, in order, through the webhook caller, and the
// metrics, in parallel with a bound and a per-query timeout, through evaluateMetrics. Results are
// values; nothing here throws for what the outside world does.
import { GROUP, VERSION } from '../api/keys.js';
import type { MetricTemplate } from '../api/types.js';
import type { KubeObject } from '../kube/client.js';
import { evaluateMetrics, type MetricCheck as MetricOutcome, type TemplateLookup } from '../metrics/evaluate.js';
import type { CheckResults, Checks, HookResult, MetricResult } from '../stepper/index.js';
import { describeError } from '../webhooks/http.js';
import type { WebhookCaller } from '../webhooks/caller.js';
import type { AddressGuard } from './address-guard.js';
import type { CanaryScope, RunnerDeps } from './types.js';
import { isKnativeTarget } from './knative.js';
import type { ClusterView } from './view.js';
import type { KnativeService } from '../routers/knative.js';

export const DEFAULT_METRIC_TIMEOUT_MS = 10_000;

export interface CheckRun {
  results: CheckResults;
  /** Each metric as evaluated (value, verdict), for telemetry. */
  metrics: MetricOutcome[];
}

export interface CheckOptions {
  metricTimeoutMs?: number;
  signal?: AbortSignal;
}

export const hasChecks = (checks: Checks): boolean => checks.hooks.length > 0 || checks.metrics.length > 0;

/** Runs the checks of one tick: hooks one after another (Flagger's order), metrics alongside them. */
export async function runChecks(scope: CanaryScope, checks: Checks, deps: Pick<RunnerDeps, 'webhooks' | 'metricProviders' | 'addressGuard'>, options: CheckOptions): Promise<CheckRun> {
  const [hooks, metrics] = await Promise.all([
    callHooks(scope, checks, deps.webhooks, options.signal),
    checkMetrics(scope, checks, deps, options),
  ]);
  const byName: Record<string, MetricResult> = {};
  for (const m of metrics) byName[m.name] = metricResult(m);
  return { results: { hooks, metrics: byName }, metrics };
}

async function callHooks(
  scope: CanaryScope,
  checks: Checks,
  webhooks: WebhookCaller,
  signal: AbortSignal | undefined,
): Promise<Record<string, HookResult>> {
  const results: Record<string, HookResult> = {};
  const { name, namespace } = scope.canary.metadata;
  for (const check of checks.hooks) {
    const hook = scope.analysis.webhooks.find((h) => h.name === check.name);
    if (!hook) {
      results[check.name] = { ok: false, message: `webhook ${check.name} is not in the spec` };
      continue;
    }
    const result = await webhooks
      .call({ hook, canary: { name: name ?? '', namespace: namespace ?? '' }, phase: check.phase, checksum: check.checksum }, signal)
      .catch((error: unknown) => ({ ok: false as const, message: describeError(error), attempts: 0 }));
    results[check.name] = result.ok ? { ok: true } : { ok: false, message: result.message };
    scope.log.debug('webhook called', { webhook: check.name, type: check.type, ok: result.ok, ...(result.ok ? {} : { reason: result.message }) });
  }
  return results;
}

async function checkMetrics(scope: CanaryScope, checks: Checks, deps: Pick<RunnerDeps, 'metricProviders' | 'addressGuard'>, options: CheckOptions): Promise<MetricOutcome[]> {
  if (checks.metrics.length === 0) return [];
  const route = await knativeRevision(scope);
  const outcomes = await evaluateMetrics(
    scope.canary,
    scope.analysis,
    {
      lookup: templateLookup(scope.view, deps.addressGuard),
      ...(deps.metricProviders ? { providers: deps.metricProviders } : {}),
      timeoutMs: options.metricTimeoutMs ?? DEFAULT_METRIC_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(route ? { route } : {}),
    },
    checks.metrics.map((m) => m.metric),
  );
  for (const m of outcomes) {
    scope.log.debug('metric checked', { metric: m.name, query: m.query, verdict: m.verdict, ...(m.value === undefined ? {} : { value: m.value }) });
  }
  return outcomes;
}

/**
 * A Knative target's revision under analysis, `{{ route }}` in its queries (Flagger's): the latest
 * created one, from the Service the pass already listed.
 */
async function knativeRevision(scope: CanaryScope): Promise<string | undefined> {
  if (!isKnativeTarget(scope.targetRef)) return undefined;
  const service = await scope.view.get<KnativeService>(scope.targetRef);
  return service?.status?.latestCreatedRevisionName;
}

/** The stepper judges values itself: a value outside its bounds is still an `ok` query result. */
function metricResult(m: MetricOutcome): MetricResult {
  if ((m.verdict === 'ok' || m.verdict === 'failed') && m.value !== undefined) return { verdict: 'ok', query: m.query, value: m.value };
  if (m.verdict === 'noData') return { verdict: 'noData', query: m.query, message: m.message };
  return { verdict: 'error', query: m.query, message: m.message };
}

/**
 * MetricTemplates and their Secrets from one LIST per namespace, like everything else in a pass. A
 * template whose provider address the guard refuses is an error with the reason (the check fails
 * before its Secret is read or its query sent).
 */
export function templateLookup(view: ClusterView, guard?: AddressGuard): TemplateLookup {
  return {
    template: async (name, namespace) => {
      const found = (await view.get({ apiVersion: `${GROUP}/${VERSION}`, kind: 'MetricTemplate', name, namespace })) as unknown as MetricTemplate | undefined;
      const address = found?.spec?.provider?.address;
      const refused = address && guard ? await guard(address) : undefined;
      if (refused !== undefined) throw new Error(`provider address not called: ${refused}`);
      return found;
    },
    secretData: async (name, namespace) => {
      const secret = await view.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', name, namespace });
      if (!secret) return undefined;
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    },
  };
}
