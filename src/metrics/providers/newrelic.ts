// New Relic: an NRQL query over the Insights query API
// (`GET /v1/accounts/<newrelic_account_id>/query?nrql=`), authenticated by the X-Query-Key header
// from the Secret's `newrelic_query_key`. As in Flagger, ` SINCE <interval seconds> seconds ago`
// is appended to the query, and the answer must hold exactly one result. Its value is the
// result's `result` key (what arithmetic over aggregates is named) or its only key; null is no data.

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { DEFAULT_WINDOW_INTERVAL_MS, endpoint, onlineOf, pointValue, requestJson, requireKeys, resultOf } from './http-json.js';

export const NEWRELIC_DEFAULT_ADDRESS = 'https://insights-api.newrelic.com';
/** Flagger's online check: a query any account can run. */
export const NEWRELIC_ONLINE_QUERY = 'SELECT * FROM Metric';
const NAME = 'newrelic';

/** New Relic's errors are `{"error": "..."}`. */
const errorOf = (body: unknown): string | undefined => {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : undefined;
};

export function newrelicProvider(config: MetricProviderConfig): MetricProvider {
  const keys = requireKeys(NAME, config.secretData, ['newrelic_account_id', 'newrelic_query_key'] as const);
  if (typeof keys === 'string') return failingProvider(keys);
  const address = config.address || NEWRELIC_DEFAULT_ADDRESS;
  const seconds = Math.floor((config.intervalMs ?? DEFAULT_WINDOW_INTERVAL_MS) / 1000);
  const run = (nrql: string, signal?: AbortSignal) => {
    const url = endpoint(address, `/v1/accounts/${encodeURIComponent(keys.newrelic_account_id)}/query`);
    url.searchParams.set('nrql', `${nrql} SINCE ${seconds} seconds ago`);
    return requestJson({ provider: NAME, url: url.toString(), headers: { 'X-Query-Key': keys.newrelic_query_key }, config, errorMessage: errorOf, ...(signal ? { signal } : {}) });
  };
  return {
    query: async (text, signal) => {
      const answer = await run(text, signal);
      return resultOf(answer, interpret);
    },
    isOnline: async (signal) => onlineOf(await run(NEWRELIC_ONLINE_QUERY, signal)),
  };
}

function interpret(body: unknown): MetricResult {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return failure(`${NAME}: the answer has no results list`);
  if (results.length === 0) return noData('the query returned no results');
  if (results.length > 1) return failure(`${NAME}: the query returned ${results.length} results; exactly one is needed (drop FACET or TIMESERIES)`);
  const result = results[0] as Record<string, unknown> | null;
  if (result === null || typeof result !== 'object') return failure(`${NAME}: malformed result ${JSON.stringify(result)}`);
  const keys = Object.keys(result);
  if ('result' in result) return pointValue(NAME, result.result, 'the result');
  if (keys.length === 1) return pointValue(NAME, result[keys[0]!], `the result ${keys[0]!}`);
  return failure(`${NAME}: the result has ${keys.length} values (${keys.join(', ')}); select one value`);
}
