// Splunk Observability's SignalFlow HTTP API as Davy's splunk provider uses it
// (dev.splunk.com/observability/reference/api/signalflow): POST /v2/signalflow/execute on the
// stream host with X-SF-Token (401 otherwise), the program as a text/plain body, `start` and
// `stop` as current Unix milliseconds, `immediate=true`; the answer is server-sent events
// (control-message, metadata, data with {tsId, value} points, END_OF_CHANNEL). GET /v2/metric on
// the API host for the online check. The hosts are told apart by the Host header, as
// api.<realm> and stream.<realm> are.
import { ContractServer, windowProblem, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const SPLUNK_KEYS = { sf_token_key: 'sf-token-1' };

const sse = (events: { event: string; data: unknown }[]): ContractAnswer => ({
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  body: events.map((e) => `event: ${e.event}\n${JSON.stringify(e.data, null, 1).split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`).join(''),
});

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.headers['x-sf-token'] !== SPLUNK_KEYS.sf_token_key) return { status: 401, body: { code: 401, message: 'Unauthorized' } };
  if (req.method === 'GET' && req.url.pathname === '/v2/metric') return { status: 200, body: { count: 1, results: [{ name: 'demo.trans.latency' }] } };
  if (req.method !== 'POST' || req.url.pathname !== '/v2/signalflow/execute') return { status: 404, body: { code: 404, message: 'Not found' } };
  if (!String(req.headers['content-type']).startsWith('text/plain')) return { status: 400, body: { code: 400, message: 'the program must be sent as text/plain' } };
  if (!req.body.trim()) return { status: 400, body: { code: 400, message: 'program is required' } };
  const start = req.url.searchParams.get('start');
  const stop = req.url.searchParams.get('stop');
  const window = windowProblem(new URL(`http://x/?from=${start ?? ''}&to=${stop ?? ''}`), 'ms');
  if (window) return { status: 400, body: { code: 400, message: `start/stop: ${window}` } };
  if (state.scenario === 'outage') return { status: 503, body: { code: 503, message: 'Service Unavailable' } };
  const at = Number(stop);
  const data = (points: { tsId: string; value: number | null }[], ms: number) => ({ event: 'data', data: { type: 'data', channel: 'R0', logicalTimestampMs: ms, data: points } });
  const frame = [
    { event: 'control-message', data: { type: 'control-message', channel: 'R0', event: 'STREAM_START', timestampMs: at } },
    { event: 'metadata', data: { type: 'metadata', channel: 'R0', tsId: 'AAAAAKeBKMM', properties: { sf_metric: 'demo.trans.latency' } } },
  ];
  const end = { event: 'control-message', data: { type: 'control-message', channel: 'R0', event: 'END_OF_CHANNEL', timestampMs: at } };
  switch (state.scenario) {
    case 'empty':
      return sse([...frame, end]);
    case 'nan':
      return sse([...frame, data([{ tsId: 'AAAAAKeBKMM', value: null }], at), end]);
    case 'several':
      return sse([...frame, data([{ tsId: 'AAAAAKeBKMM', value: 1 }, { tsId: 'AAAAAOtNUiQ', value: 2 }], at), end]);
    default:
      return sse([...frame, data([{ tsId: 'AAAAAKeBKMM', value: 1e9 }], at - 60_000), data([{ tsId: 'AAAAAKeBKMM', value: state.value }], at), end]);
  }
}

export const splunkContract = (): ContractServer => new ContractServer(handle);
