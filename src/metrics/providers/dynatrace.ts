// Dynatrace: the metrics API v2 (`GET /api/v2/metrics/query?metricSelector=&resolution=Inf&from=&to=`)
// with `Authorization: Api-Token <dynatrace_token>`. The address (the environment's URL) is
// required. The window is the metric interval times Flagger's multiplier, in Unix milliseconds;
// resolution Inf asks for one value per series. The value is the series' first value; no series
// or a null value is no data, several series are an error.

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { addressAndKeys, getJson, onlineOf, pointValue, resultOf, severalSeries, window } from './http-json.js';

/** Flagger looks back this many metric intervals. */
export const DYNATRACE_WINDOW_FACTOR = 10;
const NAME = 'dynatrace';

/** Dynatrace's errors are `{"error": {"code": 400, "message": "..."}}`. */
const errorOf = (body: unknown): string | undefined => {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
};

export function dynatraceProvider(config: MetricProviderConfig): MetricProvider {
  const built = addressAndKeys(NAME, config, ['dynatrace_token'] as const);
  if (typeof built === 'string') return failingProvider(built);
  const { address, keys } = built;
  const headers = { Authorization: `Api-Token ${keys.dynatrace_token}` };
  const get = (path: string, params: Record<string, string>, signal?: AbortSignal) =>
    getJson({ provider: NAME, address, path, params, headers, config, errorMessage: errorOf, ...(signal ? { signal } : {}) });
  return {
    query: async (text, signal) => {
      const { fromMs, toMs } = window(config, DYNATRACE_WINDOW_FACTOR);
      const answer = await get('/api/v2/metrics/query', { metricSelector: text, resolution: 'Inf', from: String(fromMs), to: String(toMs) }, signal);
      return resultOf(answer, interpret);
    },
    isOnline: async (signal) => onlineOf(await get('/api/v2/metrics', { pageSize: '1' }, signal)),
  };
}

function interpret(body: unknown): MetricResult {
  const result = (body as { result?: { data?: unknown }[] } | null)?.result;
  if (!Array.isArray(result)) return failure(`${NAME}: the answer has no result list`);
  if (result.length === 0) return noData('the selector matched no metric');
  if (result.length > 1) return failure(`${NAME}: the selector matched ${result.length} metrics; select one`);
  const data = result[0]?.data;
  if (!Array.isArray(data) || data.length === 0) return noData('the metric has no data in the window');
  if (data.length > 1) return severalSeries(NAME, data.length);
  const values = (data[0] as { values?: unknown } | null)?.values;
  if (!Array.isArray(values) || values.length === 0) return noData('the series has no values in the window');
  return pointValue(NAME, values[0], 'the value');
}
