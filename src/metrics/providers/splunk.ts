// Splunk Observability (SignalFx): a SignalFlow program run over the HTTP form of the SignalFlow
// API (`POST <stream host>/v2/signalflow/execute?start=&stop=&immediate=true`, the program as the
// text/plain body, `X-SF-Token` from the Secret's `sf_token_key`), whose answer is a stream of
// server-sent events; Flagger speaks the same API over a WebSocket. As in Flagger, the address may
// name the API host or the stream host (`api.` and `stream.` are swapped as each call needs), the
// window is ten metric intervals back (Unix ms), null values are dropped, more than one time
// series is an error, and the value is the last data point.

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { addressAndKeys, endpoint, getJson, onlineOf, pointValue, severalSeries, window } from './http-json.js';
import { sendRequest } from '../../webhooks/http.js';

export const SPLUNK_WINDOW_FACTOR = 10;
const NAME = 'splunk';
const QUOTED_CHARS = 200;

/** `https://api.us1.signalfx.com` <-> `https://stream.us1.signalfx.com`, as Flagger maps them. */
const host = (address: string, from: string, to: string): string => {
  const url = new URL(address);
  if (url.hostname.startsWith(`${from}.`)) url.hostname = `${to}.${url.hostname.slice(from.length + 1)}`;
  return url.toString();
};

interface SseEvent {
  event: string;
  data: string;
}

/** Server-sent events: blocks separated by a blank line, `event:` and (joined) `data:` fields. */
export function parseEvents(text: string): SseEvent[] {
  return text.split(/\r?\n\r?\n/).map((block) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    return { event, data: data.join('\n') };
  }).filter((e) => e.data !== '');
}

export function splunkProvider(config: MetricProviderConfig): MetricProvider {
  const built = addressAndKeys(NAME, config, ['sf_token_key'] as const);
  if (typeof built === 'string') return failingProvider(built);
  const { address, keys } = built;
  return {
    query: async (program, signal) => {
      const { fromMs, toMs } = window(config, SPLUNK_WINDOW_FACTOR);
      const url = endpoint(host(address, 'api', 'stream'), '/v2/signalflow/execute');
      for (const [k, v] of Object.entries({ start: String(fromMs), stop: String(toMs), immediate: 'true' })) url.searchParams.set(k, v);
      const response = await sendRequest({
        method: 'POST', url: url.toString(), body: program, timeoutMs: config.timeoutMs ?? 5_000,
        headers: { 'X-SF-Token': keys.sf_token_key, 'content-type': 'text/plain', accept: 'text/event-stream' },
        ...(config.insecureSkipVerify ? { insecureSkipVerify: true } : {}), ...(signal ? { signal } : {}),
      });
      if (response.kind === 'failure') return failure(`${NAME}: ${response.message}`);
      if (response.status < 200 || response.status >= 300) {
        const what = response.status === 401 || response.status === 403 ? `the credentials were refused (HTTP ${response.status})` : `HTTP ${response.status} ${response.statusText}`.trim();
        const said = response.body.trim().slice(0, QUOTED_CHARS);
        return failure(`${NAME}: ${what}${said ? `: ${said}` : ''}`);
      }
      return interpret(parseEvents(response.body));
    },
    isOnline: async (signal) =>
      onlineOf(await getJson({ provider: NAME, address: host(address, 'stream', 'api'), path: '/v2/metric', params: { limit: '1' }, headers: { 'X-SF-Token': keys.sf_token_key }, config, ...(signal ? { signal } : {}) })),
  };
}

function interpret(events: readonly SseEvent[]): MetricResult {
  const points: { tsId: string; value: unknown }[] = [];
  for (const e of events) {
    let message: { type?: unknown; message?: unknown; error?: unknown; data?: unknown };
    try {
      message = JSON.parse(e.data) as typeof message;
    } catch {
      return failure(`${NAME}: an unreadable ${e.event} event: ${e.data.slice(0, QUOTED_CHARS)}`);
    }
    if (e.event === 'error' || message.type === 'error') return failure(`${NAME}: the program failed: ${JSON.stringify(message.message ?? message.error ?? message)}`);
    if ((e.event === 'data' || message.type === 'data') && Array.isArray(message.data)) {
      for (const p of message.data as { tsId?: unknown; value?: unknown }[]) if (p.value !== null && p.value !== undefined) points.push({ tsId: String(p.tsId), value: p.value });
    }
  }
  if (points.length === 0) return noData('the program produced no data points in the window');
  const series = new Set(points.map((p) => p.tsId)).size;
  if (series > 1) return severalSeries(NAME, series);
  return pointValue(NAME, points.at(-1)!.value, 'the last data point');
}
