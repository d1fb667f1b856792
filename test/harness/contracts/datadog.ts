// Datadog's v1 API as Davy's datadog provider uses it (docs.datadoghq.com/api/latest/metrics/#query-timeseries-points
// and /authentication/#validate-api-key): GET only, DD-API-KEY and DD-APPLICATION-KEY both
// required (403 {"errors":["Forbidden"]} otherwise), `query`, `from` and `to` (Unix seconds)
// required (400 {"errors":[...]}). Answers carry `status`, `series[].pointlist` of [ms, value].
import { ContractServer, windowProblem, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const DATADOG_KEYS = { datadog_api_key: 'dd-api-1', datadog_application_key: 'dd-app-1' };

const forbidden: ContractAnswer = { status: 403, body: { errors: ['Forbidden'] } };

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.method !== 'GET') return { status: 405, body: { errors: ['Method Not Allowed'] } };
  if (req.headers['dd-api-key'] !== DATADOG_KEYS.datadog_api_key) return forbidden;
  if (req.url.pathname === '/api/v1/validate') return { status: 200, body: { valid: true } };
  if (req.url.pathname !== '/api/v1/query') return { status: 404, body: { errors: ['Not found'] } };
  if (req.headers['dd-application-key'] !== DATADOG_KEYS.datadog_application_key) return forbidden;
  const query = req.url.searchParams.get('query');
  if (!query) return { status: 400, body: { errors: ["Parameter 'query' is required"] } };
  const window = windowProblem(req.url, 's');
  if (window) return { status: 400, body: { errors: [window] } };
  if (state.scenario === 'outage') return { status: 503, body: { errors: ['Service Unavailable'] } };
  const to = Number(req.url.searchParams.get('to')) * 1000;
  const series = (value: number | null) => ({ metric: 'm', scope: '*', pointlist: [[to - 60_000, value], [to, 1e9]] });
  const base = { status: 'ok', res_type: 'time_series', query, from_date: Number(req.url.searchParams.get('from')) * 1000, to_date: to };
  switch (state.scenario) {
    case 'empty':
      return { status: 200, body: { ...base, series: [] } };
    case 'nan':
      return { status: 200, body: { ...base, series: [series(null)] } };
    case 'several':
      return { status: 200, body: { ...base, series: [series(1), series(2)] } };
    default:
      return { status: 200, body: { ...base, series: [series(state.value)] } };
  }
}

export const datadogContract = (): ContractServer => new ContractServer(handle);
