// The words of a metric check, in Flagger's wording (flagger-compat.md §10.2, examples/README.md)
// without the "Halt <canary> advancement " prefix, which the stepper adds to its event:
//
//   success rate 69.17% < 99%
//   request duration 1.20s > 0.5s
//   404s percentage 6.20 > 3
//
// Values print with two decimals (Flagger's %.2f), bounds as written (Flagger's %v); durations are
// measured in milliseconds and printed in seconds, as the tutorials show them.

import type { EffectiveMetric } from '../api/defaults.js';

export type MetricStyle = 'success-rate' | 'duration' | 'custom';

/** The builtins read as percent and ms; a template or inline query named like a builtin is custom. */
export function styleOf(metric: Pick<EffectiveMetric, 'name' | 'source'>): MetricStyle {
  if (metric.source !== 'builtin') return 'custom';
  if (metric.name === 'request-success-rate') return 'success-rate';
  if (metric.name === 'request-duration') return 'duration';
  return 'custom';
}

const LABEL: Record<Exclude<MetricStyle, 'custom'>, string> = {
  'success-rate': 'success rate',
  duration: 'request duration',
};

const labelOf = (style: MetricStyle, name: string): string => (style === 'custom' ? name : LABEL[style]);

export function formatValue(style: MetricStyle, value: number): string {
  if (style === 'success-rate') return `${value.toFixed(2)}%`;
  if (style === 'duration') return `${(value / 1000).toFixed(2)}s`;
  return value.toFixed(2);
}

export function formatBound(style: MetricStyle, bound: number): string {
  if (style === 'success-rate') return `${bound}%`;
  if (style === 'duration') return `${bound / 1000}s`;
  return String(bound);
}

export interface RangeVerdict {
  ok: boolean;
  message: string;
}

/** Inclusive bounds, min first as in Flagger; no bounds at all always passes (the value is still recorded). */
export function judge(style: MetricStyle, name: string, value: number, min?: number, max?: number): RangeVerdict {
  const label = labelOf(style, name);
  const shown = formatValue(style, value);
  if (min !== undefined && value < min) return { ok: false, message: `${label} ${shown} < ${formatBound(style, min)}` };
  if (max !== undefined && value > max) return { ok: false, message: `${label} ${shown} > ${formatBound(style, max)}` };
  return { ok: true, message: `${label} ${shown}${rangeText(style, min, max)}` };
}

function rangeText(style: MetricStyle, min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` within [${formatBound(style, min)}, ${formatBound(style, max)}]`;
  if (min !== undefined) return ` >= ${formatBound(style, min)}`;
  if (max !== undefined) return ` <= ${formatBound(style, max)}`;
  return ' (no threshold)';
}

/**
 * Flagger's three "no values" wordings. A builtin names the mesh and the workload that should be
 * receiving traffic: in Davy the canary copy, `<target>-canary.<namespace>`.
 */
export function noDataMessage(metric: Pick<EffectiveMetric, 'name' | 'source'>, reason: string, observer: string, workload: string): string {
  if (metric.source === 'builtin') return `no values found for ${observer} metric ${metric.name} probably ${workload} is not receiving traffic: ${reason}`;
  if (metric.source === 'template') return `no values found for custom metric: ${metric.name}: ${reason}`;
  return `no values found for metric: ${metric.name}: ${reason}`;
}

export const NO_USABLE_QUERY = 'Metric query failed for no usable metrics template and query were configured';

export const queryFailed = (name: string, message: string): string => `Metric query failed for ${name}: ${message}`;
export const builtinQueryFailed = (name: string, message: string): string => `Prometheus query failed for ${name}: ${message}`;
export const templateError = (template: string, message: string): string => `Metric template ${template} error: ${message}`;
export const templateSecretError = (template: string, secret: string, message: string): string =>
  `Metric template ${template} secret ${secret} error: ${message}`;
export const templateRenderError = (template: string, message: string): string => `Metric template ${template} query render error: ${message}`;
