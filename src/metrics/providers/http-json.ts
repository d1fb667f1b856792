// What the HTTP metric providers share: one JSON request with the stepper's signal and the
// provider's timeout, every failure turned into a MetricResult that names the provider (refused
// credentials, a service error with the service's own message, a timeout), and the rules for
// reading one number (null, NaN and infinities are no data, as in prometheus.ts).

import { describeError, redactUrl, sendRequest, type OutboundRequest } from '../../webhooks/http.js';
import { failure, noData, ok, type MetricProviderConfig, type MetricResult, type OnlineResult } from '../provider.js';

/** Flagger's per-query timeout for its HTTP providers. */
export const HTTP_PROVIDER_TIMEOUT_MS = 5_000;
/** Characters of a service's error answer quoted in a check's reason. */
const QUOTED_CHARS = 200;

export type JsonAnswer = { kind: 'json'; status: number; body: unknown } | { kind: 'result'; result: MetricResult };

export interface JsonRequest {
  /** The provider's name, first word of every message. */
  provider: string;
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  config: Pick<MetricProviderConfig, 'timeoutMs' | 'insecureSkipVerify'>;
  signal?: AbortSignal;
  /** Reads the service's own error message out of an error answer. */
  errorMessage?: (body: unknown) => string | undefined;
}

/** One exchange; a 2xx JSON answer comes back as JSON, everything else as a failed MetricResult. */
export async function requestJson(request: JsonRequest): Promise<JsonAnswer> {
  const outbound: OutboundRequest = {
    method: request.method ?? 'GET',
    url: request.url,
    headers: { accept: 'application/json', ...(request.headers ?? {}) },
    timeoutMs: request.config.timeoutMs ?? HTTP_PROVIDER_TIMEOUT_MS,
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.config.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  };
  const response = await sendRequest(outbound);
  const name = request.provider;
  if (response.kind === 'failure') return { kind: 'result', result: failure(`${name}: ${response.message}`) };
  let body: unknown;
  try {
    body = JSON.parse(response.body) as unknown;
  } catch (error) {
    body = undefined;
    if (response.status >= 200 && response.status < 300) {
      return { kind: 'result', result: failure(`${name}: a non-JSON answer (${describeError(error)}): ${quote(response.body)}`) };
    }
  }
  if (response.status >= 200 && response.status < 300) return { kind: 'json', status: response.status, body };
  const said = (body === undefined ? undefined : request.errorMessage?.(body)) ?? quote(response.body);
  const what = response.status === 401 || response.status === 403 ? `the credentials were refused (HTTP ${response.status})` : `HTTP ${response.status} ${response.statusText}`.trim();
  return { kind: 'result', result: failure(`${name}: ${what}${said ? `: ${said}` : ''}`) };
}

const quote = (text: string): string => text.trim().slice(0, QUOTED_CHARS);

/** A GET of `<address><path>?<params>` through requestJson. */
export function getJson(request: Omit<JsonRequest, 'url' | 'method' | 'body'> & { address: string; path: string; params?: Record<string, string> }): Promise<JsonAnswer> {
  const { address, path, params, ...rest } = request;
  const url = endpoint(address, path);
  for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, v);
  return requestJson({ ...rest, url: url.toString() });
}

/** An answer as a query result: the failure it carries, or what `interpret` reads from the JSON. */
export const resultOf = (answer: JsonAnswer, interpret: (body: unknown) => MetricResult): MetricResult =>
  answer.kind === 'result' ? answer.result : interpret(answer.body);

/** The online checks that only need an answer: any 2xx JSON is online, a failure says why not. */
export function onlineOf(answer: JsonAnswer): OnlineResult {
  if (answer.kind === 'json') return { online: true };
  return { online: false, message: answer.result.kind === 'error' ? answer.result.message : 'no answer' };
}

/** A number from a series point: null, NaN and the infinities are no data; anything else not a number is an error. */
export function pointValue(provider: string, value: unknown, where: string): MetricResult {
  if (value === null || value === undefined) return noData(`${where} is null (no data points in the window)`);
  if (typeof value === 'string' && ['NaN', 'Infinity', '-Infinity', '+Inf', '-Inf'].includes(value)) return noData(`${where} is ${value}`);
  if (typeof value !== 'number') return failure(`${provider}: ${where} ${JSON.stringify(value)} is not a number`);
  if (Number.isNaN(value)) return noData(`${where} is NaN`);
  if (!Number.isFinite(value)) return noData(`${where} is an infinity (a division by zero?)`);
  return ok(value);
}

/** Davy refuses to guess between several series (Flagger takes the first): the query must aggregate. */
export const severalSeries = (provider: string, count: number): MetricResult =>
  failure(`${provider}: the query returned ${count} series; aggregate it to one series`);

/** The address with `path` appended to its own path (a path prefix of the address is kept). */
export function endpoint(address: string, path: string): URL {
  const url = new URL(address);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url;
}

/** A usable base URL, or why not (for failingProvider). */
export function addressProblem(provider: string, address: string | undefined): string | undefined {
  if (!address) return `${provider}: provider.address is required`;
  try {
    const url = new URL(address);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${provider}: provider.address ${redactUrl(address)} is not an http(s) URL`;
    return undefined;
  } catch {
    return `${provider}: provider.address ${redactUrl(address)} is not a valid URL`;
  }
}

/** The Secret keys a provider needs, or a message naming the missing ones. */
export function requireKeys<K extends string>(provider: string, secretData: Record<string, string> | undefined, keys: readonly K[]): Record<K, string> | string {
  if (!secretData) return `${provider}: provider.secretRef is required (a Secret with ${keys.join(', ')})`;
  const missing = keys.filter((k) => !secretData[k]);
  if (missing.length > 0) return `${provider}: the secret must contain ${missing.join(' and ')}`;
  return Object.fromEntries(keys.map((k) => [k, secretData[k]!.trim()])) as Record<K, string>;
}

/** A required address and the Secret's keys, or why the provider cannot be built. */
export function addressAndKeys<K extends string>(provider: string, config: Pick<MetricProviderConfig, 'address' | 'secretData'>, keys: readonly K[]): { address: string; keys: Record<K, string> } | string {
  const problem = addressProblem(provider, config.address);
  if (problem) return problem;
  const found = requireKeys(provider, config.secretData, keys);
  return typeof found === 'string' ? found : { address: config.address ?? '', keys: found };
}

/** The query window: `factor` times the metric's interval (Flagger's per-provider lookback). */
export function window(config: Pick<MetricProviderConfig, 'intervalMs' | 'now'>, factor: number): { fromMs: number; toMs: number } {
  const toMs = (config.now?.() ?? new Date()).getTime();
  return { fromMs: toMs - factor * (config.intervalMs ?? DEFAULT_WINDOW_INTERVAL_MS), toMs };
}

/** The metric interval when a caller gives none (Flagger's metric default). */
export const DEFAULT_WINDOW_INTERVAL_MS = 60_000;
