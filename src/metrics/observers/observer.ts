// The Observer port: the PromQL of the two builtin metrics for one mesh or ingress. Flagger's
// observer runs its queries itself; Davy's is data, rendered by render.ts and run by the metric's
// provider, so `davy validate` and `davy status` can print exactly what the stepper asks.
//
// Every query selects the workload under test through `{{ target }}`, which Davy renders as the
// canary copy `<target>-canary` (DESIGN.md, "Compatibility with Flagger's names"). Success rate is a
// percentage of non-5xx responses; duration is the P99 in milliseconds.

import type { BuiltinMetric } from '../../api/defaults.js';

export interface BuiltinQuery {
  /** PromQL with Flagger's template variables (`namespace`, `target`, `service`, `interval`, ...). */
  template: string;
  /** Multiplies the query's value into the metric's unit: 1 for percent and ms, 1000 for seconds. */
  scale: number;
}

export type Observer = Readonly<Record<BuiltinMetric, BuiltinQuery>>;

/** `sum(rate(<series>{<selector>, <successFilter>}[interval])) / sum(rate(<series>{<selector>}[interval])) * 100` */
export function successRateQuery(series: string, selector: string, successFilter: string): string {
  return [
    `sum(rate(${series}{${selector}, ${successFilter}}[{{ interval }}]))`,
    '/',
    `sum(rate(${series}{${selector}}[{{ interval }}]))`,
    '* 100',
  ].join('\n');
}

/** P99 over a classic histogram's buckets: `histogram_quantile(0.99, sum by (le) (rate(...)))`. */
export function p99Query(bucketSeries: string, selector: string): string {
  return `histogram_quantile(0.99, sum by (le) (rate(${bucketSeries}{${selector}}[{{ interval }}])))`;
}

/** The mean of a summary or histogram (`<series>_sum / <series>_count`), where a P99 is not to be had. */
export function meanQuery(series: string, selector: string): string {
  return [`sum(rate(${series}_sum{${selector}}[{{ interval }}]))`, '/', `sum(rate(${series}_count{${selector}}[{{ interval }}]))`].join('\n');
}
