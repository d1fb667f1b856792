// Dynatrace's metrics API v2 as Davy's dynatrace provider uses it (docs.dynatrace.com,
// "Metrics API - GET metric data points"): `Authorization: Api-Token <token>` (401 with
// {"error":{"code":401,"message":...}} otherwise), `metricSelector` required, `from`/`to` in Unix
// milliseconds, `resolution`; GET /api/v2/metrics for the online check.
import { ContractServer, windowProblem, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const DYNATRACE_KEYS = { dynatrace_token: 'dt0c01.ABC' };

const error = (code: number, message: string): ContractAnswer => ({ status: code, body: { error: { code, message } } });

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  if (req.headers.authorization !== `Api-Token ${DYNATRACE_KEYS.dynatrace_token}`) return error(401, 'Missing authorization parameter.');
  if (req.url.pathname === '/api/v2/metrics') return { status: 200, body: { totalCount: 1, nextPageKey: null, metrics: [{ metricId: 'builtin:service.response.time' }] } };
  if (req.url.pathname !== '/api/v2/metrics/query') return error(404, 'Not found');
  const selector = req.url.searchParams.get('metricSelector');
  if (!selector) return error(400, 'Constraints violated.: metricSelector must not be null');
  const window = windowProblem(req.url, 'ms');
  if (window) return error(400, `Constraints violated.: ${window}`);
  if (state.scenario === 'outage') return error(503, 'Service unavailable');
  const series = (value: number | null, id: string) => ({ dimensions: [id], dimensionMap: { 'dt.entity.service': id }, timestamps: [Number(req.url.searchParams.get('to'))], values: [value] });
  const answer = (data: unknown[]) => ({ status: 200, body: { totalCount: 1, nextPageKey: null, resolution: req.url.searchParams.get('resolution') ?? '1m', result: [{ metricId: selector, dataPointCountRatio: 0.0001, dimensionCountRatio: 0.0001, data }] } });
  switch (state.scenario) {
    case 'empty':
      return answer([]);
    case 'nan':
      return answer([series(null, 'SERVICE-1')]);
    case 'several':
      return answer([series(1, 'SERVICE-1'), series(2, 'SERVICE-2')]);
    default:
      return answer([series(state.value, 'SERVICE-1')]);
  }
}

export const dynatraceContract = (): ContractServer => new ContractServer(handle);
