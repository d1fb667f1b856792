// Kubernetes' external metrics API (external.metrics.k8s.io/v1beta1, served by an adapter such
// as KEDA's or prometheus-adapter through an APIService): the query is
// `[<namespace>/]<metricName>[?labelSelector=<url-encoded selector>]`, namespace `default` when
// omitted, and the value is the one item's `value` (a Kubernetes quantity: `250m`, `1.5k`, `2Gi`)
// of the answered ExternalMetricValueList. An empty list is no data; several items are an error
// (Flagger takes the first): narrow the labelSelector.
//
// Like Flagger it talks to the API server the stepper runs against, with the stepper's credentials;
// `provider.address` replaces that server (with the Secret's `token` as a Bearer token, and
// `insecureSkipVerify`), as Flagger's override of its in-cluster config does. 5 s.

import type { ApiPathReader } from '../../kube/client.js';
import { describeError } from '../../webhooks/http.js';
import { failingProvider, failure, noData, ok, type MetricProviderFactory, type MetricResult, type OnlineResult } from '../provider.js';
import { addressProblem, endpoint, requestJson, severalSeries } from './http-json.js';

const NAME = 'externalmetrics';
export const EXTERNAL_METRICS_BASE = '/apis/external.metrics.k8s.io/v1beta1';
const FORMAT = 'the query must be [<namespace>/]<metricName>[?labelSelector=<url-encoded selector>]';

interface ExternalQuery {
  namespace: string;
  metric: string;
  labelSelector?: string;
}

export function parseExternalQuery(text: string): ExternalQuery | string {
  const trimmed = text.trim();
  const at = trimmed.indexOf('?');
  const path = at < 0 ? trimmed : trimmed.slice(0, at);
  const parts = path.replace(/^\//, '').split('/');
  if (parts.length > 2) return `${NAME}: too many slashes; ${FORMAT}`;
  const [first, second] = parts as [string, string?];
  const metric = second ?? first;
  if (!metric) return `${NAME}: the metric name is empty; ${FORMAT}`;
  const labelSelector = at < 0 ? undefined : new URLSearchParams(trimmed.slice(at + 1)).get('labelSelector') ?? undefined;
  return { namespace: second === undefined || first === '' ? 'default' : first, metric, ...(labelSelector ? { labelSelector } : {}) };
}

const metricPath = (q: ExternalQuery): string => `${EXTERNAL_METRICS_BASE}/namespaces/${encodeURIComponent(q.namespace)}/${encodeURIComponent(q.metric)}`;

/** Fetches a path of the external metrics API; resolves the JSON or a failed MetricResult. */
type Fetch = (path: string, query: Record<string, string>, signal?: AbortSignal) => Promise<{ kind: 'json'; body: unknown } | { kind: 'result'; result: MetricResult }>;

/** The factory, bound to the stepper's API client (used when the template names no address). */
export function externalMetricsProvider(api: ApiPathReader | undefined): MetricProviderFactory {
  return (config) => {
    let fetch: Fetch;
    if (config.address) {
      const problem = addressProblem(NAME, config.address);
      if (problem) return failingProvider(problem);
      const token = config.secretData?.token?.trim();
      fetch = async (path, query, signal) => {
        const url = endpoint(config.address ?? '', path);
        for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
        const answer = await requestJson({ provider: NAME, url: url.toString(), headers: token ? { authorization: `Bearer ${token}` } : {}, config, errorMessage: statusMessage, ...(signal ? { signal } : {}) });
        return answer.kind === 'json' ? { kind: 'json', body: answer.body } : answer;
      };
    } else if (api) {
      fetch = async (path, query) => {
        try {
          return { kind: 'json', body: await api.getPath(path, query) };
        } catch (error) {
          return { kind: 'result', result: failure(`${NAME}: ${describeError(error)}`) };
        }
      };
    } else {
      return failingProvider(`${NAME}: no provider.address and no API client to reach the API server with`);
    }
    return {
      query: async (text, signal) => {
        const query = parseExternalQuery(text);
        if (typeof query === 'string') return failure(query);
        const answer = await fetch(metricPath(query), query.labelSelector ? { labelSelector: query.labelSelector } : {}, signal);
        return answer.kind === 'result' ? answer.result : interpret(answer.body, query);
      },
      isOnline: async (signal): Promise<OnlineResult> => {
        // Flagger's check: list a metric that need not exist; any answer of the API counts.
        const answer = await fetch(metricPath({ namespace: 'kube-system', metric: 'dummy-metric' }), {}, signal);
        return answer.kind === 'json' ? { online: true } : { online: false, message: answer.result.kind === 'error' ? answer.result.message : 'no answer' };
      },
    };
  };
}

/** A metav1.Status body's message. */
const statusMessage = (body: unknown): string | undefined => {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
};

function interpret(body: unknown, query: ExternalQuery): MetricResult {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return failure(`${NAME}: the answer is not an ExternalMetricValueList`);
  if (items.length === 0) return noData(`no value of external metric ${query.metric} in ${query.namespace}${query.labelSelector ? ` for ${query.labelSelector}` : ''}`);
  if (items.length > 1) return severalSeries(NAME, items.length);
  const value = (items[0] as { value?: unknown } | null)?.value;
  const number = typeof value === 'string' ? parseQuantity(value) : undefined;
  if (number === undefined) return failure(`${NAME}: the value ${JSON.stringify(value)} is not a Kubernetes quantity`);
  return ok(number);
}

const SUFFIXES: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity as a float (resource.Quantity's AsApproximateFloat64), or undefined. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/.exec(text.trim());
  if (!match) return undefined;
  const [, digits, exponent, suffix] = match;
  if (exponent) return Number(`${digits}${exponent}`);
  const factor = SUFFIXES[suffix ?? ''];
  return factor === undefined ? undefined : Number(digits) * factor;
}
