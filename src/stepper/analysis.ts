// Metric verdicts: a query result against the metric's bounds and its no-data policy, with
// Flagger's "Halt ..." wording. Every judged metric becomes a CheckRecord (query, value, bounds,
// verdict), so "why did it fail" is answered from the state.

import type { EffectiveMetric } from '../api/defaults.js';
import type { MetricResult } from './observations.js';
import { clip, type CheckRecord } from './state.js';

/** pass: the check passed; fail: one failed check; hold: no data under `onNoData: hold`. */
export type MetricOutcome =
  | { kind: 'pass'; record?: CheckRecord }
  | { kind: 'fail'; record: CheckRecord; message: string }
  | { kind: 'hold'; record: CheckRecord; message: string };

export interface JudgeContext {
  /** `<canary>.<ns>` */
  c: string;
  /** `<copy>.<ns>`: the workload the builtin queries select. */
  copy: string;
  /** The builtin observer's name, as Flagger prints it ("osm", "istio", ...). */
  observer: string;
  at: string;
  revision?: string;
}

/** Flagger prints thresholds with Go's %v: JavaScript's shortest form matches for finite numbers. */
const v = (n: number): string => String(n);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** "success rate 69.17% < 99%", "request duration 1.20s > 0.5s", "404s percentage 6.20 > 3". */
export function outOfRange(name: string, value: number, op: '<' | '>', bound: number): string {
  if (name === 'request-success-rate') return `success rate ${value.toFixed(2)}% ${op} ${v(bound)}%`;
  if (name === 'request-duration') return `request duration ${seconds(value)} ${op} ${v(bound / 1000)}s`;
  return `${name} ${value.toFixed(2)} ${op} ${v(bound)}`;
}

function noDataMessage(m: EffectiveMetric, ctx: JudgeContext, detail: string): string {
  if (m.source === 'builtin') {
    const tail = detail ? `: ${detail}` : '';
    return `Halt advancement no values found for ${ctx.observer} metric ${m.name} probably ${ctx.copy} is not receiving traffic${tail}`;
  }
  return `Halt advancement no values found for custom metric: ${m.name}: ${detail}`;
}

function baseRecord(m: EffectiveMetric, ctx: JudgeContext, query: string): CheckRecord {
  return {
    at: ctx.at,
    kind: 'metric',
    name: m.name,
    query: clip(query),
    ...(m.min === undefined ? {} : { min: m.min }),
    ...(m.max === undefined ? {} : { max: m.max }),
    ...(ctx.revision === undefined ? {} : { revision: ctx.revision }),
    verdict: 'ok',
  };
}

/**
 * Judges one metric. A missing result (the runner did not run it), an error, a non-finite value
 * or no data are never a pass unless the metric says `onNoData: pass`.
 */
export function judgeMetric(m: EffectiveMetric, result: MetricResult | 'pass' | undefined, ctx: JudgeContext): MetricOutcome {
  if (result === 'pass') return { kind: 'pass' };
  if (result === undefined) {
    const record: CheckRecord = { ...baseRecord(m, ctx, ''), verdict: 'error', message: 'no result: the runner did not run this check' };
    return { kind: 'fail', record, message: `Metric query failed for ${m.name}: no result` };
  }
  const record = baseRecord(m, ctx, result.query);
  if (result.verdict === 'error') {
    // The evaluator words its errors as Flagger's events do (`Metric query failed for <name>: ...`,
    // `Prometheus query failed for ...`, `Metric template ... error: ...`): taken as they are.
    return { kind: 'fail', record: { ...record, verdict: 'error', message: clip(result.message) }, message: result.message };
  }
  if (result.verdict === 'noData' || !Number.isFinite(result.value)) {
    const detail = result.verdict === 'noData' ? result.message : `the query returned ${String(result.value)}`;
    return noData(m, { ...record, verdict: 'noData', message: clip(detail) }, noDataMessage(m, ctx, detail));
  }
  const value = result.value;
  const withValue: CheckRecord = { ...record, value };
  if (m.min !== undefined && value < m.min) return failed(withValue, ctx, outOfRange(m.name, value, '<', m.min));
  if (m.max !== undefined && value > m.max) return failed(withValue, ctx, outOfRange(m.name, value, '>', m.max));
  return { kind: 'pass', record: withValue };
}

function failed(record: CheckRecord, ctx: JudgeContext, what: string): MetricOutcome {
  return { kind: 'fail', record: { ...record, verdict: 'failed', message: what }, message: `Halt ${ctx.c} advancement ${what}` };
}

function noData(m: EffectiveMetric, record: CheckRecord, message: string): MetricOutcome {
  if (m.onNoData === 'pass') return { kind: 'pass', record: { ...record, message: `${record.message ?? ''} (onNoData: pass)` } };
  if (m.onNoData === 'hold') return { kind: 'hold', record, message };
  return { kind: 'fail', record, message };
}

/**
 * Flagger's order: builtin and inline-query metrics first, then MetricTemplate metrics, each in spec
 * order. All are judged and recorded; the first failure is the tick's one failed check.
 */
export function metricOrder(metrics: readonly EffectiveMetric[]): EffectiveMetric[] {
  return [...metrics.filter((m) => m.source !== 'template'), ...metrics.filter((m) => m.source === 'template')];
}

/** The tick's analysis result: the first failure wins over a hold, which wins over a pass. */
export function combine(outcomes: readonly MetricOutcome[]): MetricOutcome {
  return outcomes.find((o) => o.kind === 'fail') ?? outcomes.find((o) => o.kind === 'hold') ?? { kind: 'pass' };
}
