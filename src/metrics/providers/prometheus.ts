// The Prometheus provider: an instant query over the documented HTTP API (`GET /api/v1/query`).
// Behaviour follows Flagger's provider (flagger-compat.md §7) except where Flagger guesses: more
// than one series is an error here (Flagger silently takes the last one), and an infinity is no
// data like NaN (a division by a zero rate), never a number that passes a max threshold.

import { describeError, redactUrl, sendRequest } from '../../webhooks/http.js';
import {
  collapseWhitespace,
  failingProvider,
  failure,
  noData,
  ok,
  type MetricProvider,
  type MetricProviderConfig,
  type MetricResult,
} from '../provider.js';

export const PROMETHEUS_DEFAULT_TIMEOUT_MS = 5_000;
/** The query whose answer 1 means "online" (Flagger's check). */
export const PROMETHEUS_ONLINE_QUERY = 'vector(1)';
/** Go's float formatting of infinities, which JavaScript's Number() does not read. */
const INFINITIES = new Set(['+Inf', '-Inf', 'Inf']);
/** Characters of a non-JSON answer quoted in an error. */
const QUOTED_BODY_CHARS = 200;

/** The documented response envelope; everything is checked before use. */
interface Envelope {
  status?: unknown;
  data?: { resultType?: unknown; result?: unknown };
  errorType?: unknown;
  error?: unknown;
}

export function prometheusProvider(config: MetricProviderConfig): MetricProvider {
  if (!config.address) return failingProvider('prometheus: provider.address is required');
  let endpoint: URL;
  try {
    endpoint = queryEndpoint(config.address);
  } catch {
    return failingProvider(`prometheus: provider.address ${redactUrl(config.address)} is not a valid URL`);
  }
  const auth = authorization(config.secretData);
  if (auth.kind === 'invalid') return failingProvider(`prometheus: ${auth.message}`);
  const headers: Record<string, string | string[]> = { accept: 'application/json', ...(config.headers ?? {}) };
  if (auth.kind === 'header') headers.authorization = auth.value;
  const timeoutMs = config.timeoutMs ?? PROMETHEUS_DEFAULT_TIMEOUT_MS;

  const query = async (text: string, signal?: AbortSignal): Promise<MetricResult> => {
    const url = new URL(endpoint);
    url.searchParams.set('query', collapseWhitespace(text));
    const response = await sendRequest({
      method: 'GET',
      url: url.toString(),
      headers,
      timeoutMs,
      ...(config.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
      ...(signal ? { signal } : {}),
    });
    if (response.kind === 'failure') return failure(`prometheus: ${response.message}`);
    return interpret(response.status, response.statusText, response.body);
  };

  return {
    query,
    isOnline: async (signal) => {
      const result = await query(PROMETHEUS_ONLINE_QUERY, signal);
      if (result.kind === 'ok' && result.value === 1) return { online: true };
      const why = result.kind === 'ok' ? `answered ${result.value}` : result.kind === 'noData' ? result.reason : result.message;
      return { online: false, message: `prometheus at ${redactUrl(config.address ?? '')} is not answering ${PROMETHEUS_ONLINE_QUERY}: ${why}` };
    },
  };
}

/** `<address>/api/v1/query`, keeping any path prefix of the address (a proxy or a Thanos gateway). */
function queryEndpoint(address: string): URL {
  const url = new URL(address);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.hash = '';
  return url;
}

type Auth = { kind: 'none' } | { kind: 'header'; value: string } | { kind: 'invalid'; message: string };

/** Flagger's rule: a named Secret must hold `token` (bearer) or `username` and `password` (basic). */
function authorization(secretData: Record<string, string> | undefined): Auth {
  if (secretData === undefined) return { kind: 'none' };
  const { token, username, password } = secretData;
  if (token) return { kind: 'header', value: `Bearer ${token}` };
  if (username && password) return { kind: 'header', value: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  return { kind: 'invalid', message: 'the secret must contain token, or username and password' };
}

/** An HTTP answer to a MetricResult. Prometheus reports query errors as JSON on 400, 422 and 503. */
export function interpret(status: number, statusText: string, body: string): MetricResult {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(body) as Envelope;
  } catch (error) {
    const quoted = body.trim().slice(0, QUOTED_BODY_CHARS);
    const what = status >= 200 && status < 300 ? `a non-JSON answer (${describeError(error)})` : `HTTP ${status} ${statusText}`.trim();
    return failure(`prometheus: ${what}${quoted ? `: ${quoted}` : ''}`);
  }
  if (envelope === null || typeof envelope !== 'object') return failure(`prometheus: HTTP ${status}: the answer is not a JSON object`);
  if (envelope.status === 'error') {
    const type = typeof envelope.errorType === 'string' ? `${envelope.errorType}: ` : '';
    return failure(`prometheus: ${type}${typeof envelope.error === 'string' ? envelope.error : 'unknown error'}`);
  }
  if (status < 200 || status >= 300) return failure(`prometheus: HTTP ${status} ${statusText}`.trim());
  if (envelope.status !== 'success' || !envelope.data) return failure('prometheus: the answer has neither status "success" nor data');
  return fromData(envelope.data.resultType, envelope.data.result);
}

function fromData(resultType: unknown, result: unknown): MetricResult {
  switch (resultType) {
    case 'vector':
      return fromVector(result);
    case 'scalar':
      return fromSample(result, 'scalar');
    case 'matrix':
      return failure('prometheus: query returned a range vector (matrix); an instant vector or scalar is needed');
    case 'string':
      return failure('prometheus: query returned a string; a number is needed');
    default:
      return failure(`prometheus: unknown resultType ${JSON.stringify(resultType) ?? 'undefined'}`);
  }
}

function fromVector(result: unknown): MetricResult {
  if (!Array.isArray(result)) return failure('prometheus: vector result is not a list');
  if (result.length === 0) return noData('the query returned no series (empty vector)');
  if (result.length > 1) {
    return failure(`prometheus: query returned ${result.length} series; aggregate the query (sum, max, ...) to one series`);
  }
  const sample = result[0] as { value?: unknown; histogram?: unknown } | null;
  if (sample && sample.value === undefined && sample.histogram !== undefined) {
    return failure('prometheus: query returned a native histogram; a float sample is needed (use histogram_quantile or histogram_avg)');
  }
  return fromSample(sample?.value, 'sample');
}

/** `[ <unix time>, "<value>" ]`; Prometheus writes NaN and infinities as "NaN", "+Inf", "-Inf". */
function fromSample(pair: unknown, what: string): MetricResult {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') {
    return failure(`prometheus: malformed ${what}: ${JSON.stringify(pair) ?? 'undefined'}`);
  }
  const text = pair[1];
  if (text === 'NaN') return noData('the value is NaN (no requests in the window?)');
  if (INFINITIES.has(text)) return noData(`the value is ${text} (a division by zero?)`);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return failure(`prometheus: ${what} value ${JSON.stringify(text)} is not a number`);
  return ok(value);
}
