// Graphite: the render API (`GET <address>/render?<query>&format=json`). The query is the render
// call's query string, as Flagger takes it: `target=<expression>` plus optional `from`/`until`,
// e.g. `target=sumSeries(app.{{ target }}.errors)&from=-{{ interval }}`. Optional basic auth from
// the Secret's `username` and `password`. The value is the last non-null datapoint of the one
// series (Graphite fills empty buckets with null); no series, or only nulls, is no data.

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { addressProblem, endpoint, onlineOf, pointValue, requestJson, resultOf, severalSeries } from './http-json.js';

const NAME = 'graphite';
/** Flagger's online check: a render of a series that need not exist. */
export const GRAPHITE_ONLINE_QUERY = 'target=test';

export function graphiteProvider(config: MetricProviderConfig): MetricProvider {
  const problem = addressProblem(NAME, config.address);
  if (problem) return failingProvider(problem);
  const { username, password } = config.secretData ?? {};
  if (config.secretData && !(username && password)) return failingProvider(`${NAME}: the secret must contain username and password`);
  const headers: Record<string, string> = username && password ? { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } : {};
  const render = (query: string, signal?: AbortSignal) => {
    const url = endpoint(config.address ?? '', '/render');
    url.search = new URLSearchParams(query.trim().replace(/^\?/, '')).toString();
    url.searchParams.set('format', 'json');
    return requestJson({ provider: NAME, url: url.toString(), headers, config, ...(signal ? { signal } : {}) });
  };
  return {
    query: async (text, signal) => {
      if (!new URLSearchParams(text.trim().replace(/^\?/, '')).get('target')) return failure(`${NAME}: the query must be a render query string with a target, e.g. target=sumSeries(a.b.*)&from=-1min`);
      const answer = await render(text, signal);
      return resultOf(answer, interpret);
    },
    isOnline: async (signal) => onlineOf(await render(GRAPHITE_ONLINE_QUERY, signal)),
  };
}

function interpret(body: unknown): MetricResult {
  if (!Array.isArray(body)) return failure(`${NAME}: the answer is not a list of series`);
  if (body.length === 0) return noData('the target matched no series');
  if (body.length > 1) return severalSeries(NAME, body.length);
  const points = (body[0] as { datapoints?: unknown } | null)?.datapoints;
  if (!Array.isArray(points)) return failure(`${NAME}: the series has no datapoints list`);
  const last = [...(points as unknown[])].reverse().find((p): p is unknown[] => Array.isArray(p) && p[0] !== null);
  if (!last) return noData('the series has only null datapoints in the window');
  return pointValue(NAME, last[0], 'the last datapoint');
}
