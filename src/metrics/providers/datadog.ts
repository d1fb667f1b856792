// Datadog: the v1 timeseries query API (`GET /api/v1/query?query=&from=&to=`), authenticated by
// the DD-API-KEY and DD-APPLICATION-KEY headers from the Secret's `datadog_api_key` and
// `datadog_application_key`. The window is ten metric intervals back from now, in Unix seconds.
// As in Flagger, the value is the first (oldest) point of the series: the newest bucket is
// usually incomplete. An empty series list or point list is no data; several series are an error.

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { getJson, onlineOf, pointValue, requireKeys, resultOf, severalSeries, window } from './http-json.js';

export const DATADOG_DEFAULT_ADDRESS = 'https://api.datadoghq.com';
/** Flagger looks back ten metric intervals. */
export const DATADOG_WINDOW_FACTOR = 10;
const NAME = 'datadog';

interface QueryAnswer {
  status?: unknown;
  error?: unknown;
  series?: { pointlist?: unknown }[];
}

/** Datadog's errors are `{"errors": ["..."]}`. */
const errorsOf = (body: unknown): string | undefined => {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? errors.map(String).join('; ') : undefined;
};

export function datadogProvider(config: MetricProviderConfig): MetricProvider {
  const keys = requireKeys(NAME, config.secretData, ['datadog_api_key', 'datadog_application_key'] as const);
  if (typeof keys === 'string') return failingProvider(keys);
  const address = config.address || DATADOG_DEFAULT_ADDRESS;
  const headers = { 'DD-API-KEY': keys.datadog_api_key, 'DD-APPLICATION-KEY': keys.datadog_application_key };
  const get = (path: string, params: Record<string, string>, signal?: AbortSignal) =>
    getJson({ provider: NAME, address, path, params, headers, config, errorMessage: errorsOf, ...(signal ? { signal } : {}) });
  return {
    query: async (text, signal) => {
      const { fromMs, toMs } = window(config, DATADOG_WINDOW_FACTOR);
      const answer = await get('/api/v1/query', { query: text, from: String(Math.floor(fromMs / 1000)), to: String(Math.floor(toMs / 1000)) }, signal);
      return resultOf(answer, (body) => interpret(body as QueryAnswer));
    },
    isOnline: async (signal) => {
      const answer = await get('/api/v1/validate', {}, signal);
      if (answer.kind === 'result') return onlineOf(answer);
      return (answer.body as { valid?: unknown } | null)?.valid === true ? { online: true } : { online: false, message: 'datadog: the API key is not valid' };
    },
  };
}

function interpret(body: QueryAnswer | null): MetricResult {
  if (body?.status === 'error') return failure(`${NAME}: ${typeof body.error === 'string' ? body.error : 'query error'}`);
  const series = body?.series;
  if (!Array.isArray(series)) return failure(`${NAME}: the answer has no series list`);
  if (series.length === 0) return noData('the query returned no series');
  if (series.length > 1) return severalSeries(NAME, series.length);
  const points = series[0]?.pointlist;
  if (!Array.isArray(points) || points.length === 0) return noData('the series has no points in the window');
  const first = points[0] as unknown;
  if (!Array.isArray(first) || first.length < 2) return failure(`${NAME}: malformed point ${JSON.stringify(first)}`);
  return pointValue(NAME, first[1], 'the first point');
}
