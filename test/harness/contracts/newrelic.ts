// New Relic's Insights query API as Davy's newrelic provider uses it
// (docs.newrelic.com, "Query Insights event data via API"): GET /v1/accounts/<id>/query with the
// X-Query-Key header (401 {"error": "..."} when missing or wrong, for another account too) and an
// `nrql` parameter (400 {"error": "..."} when missing or without a SINCE clause Davy always adds).
import { ContractServer, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const NEWRELIC_KEYS = { newrelic_account_id: '1234567', newrelic_query_key: 'NRIQ-abc' };

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.method !== 'GET') return { status: 405, body: { error: 'Method not allowed' } };
  const match = /^\/v1\/accounts\/([^/]+)\/query$/.exec(req.url.pathname);
  if (!match) return { status: 404, body: { error: 'Not found' } };
  if (req.headers['x-query-key'] !== NEWRELIC_KEYS.newrelic_query_key || match[1] !== NEWRELIC_KEYS.newrelic_account_id) {
    return { status: 401, body: { error: 'Invalid credentials' } };
  }
  const nrql = req.url.searchParams.get('nrql');
  if (!nrql) return { status: 400, body: { error: 'Missing nrql parameter' } };
  if (!/ SINCE \d+ seconds ago$/.test(nrql)) return { status: 400, body: { error: `NRQL Syntax Error: expected SINCE clause in '${nrql}'` } };
  if (nrql.startsWith('SELECT * FROM Metric ')) return { status: 200, body: { results: [{ events: [] }] } };
  if (state.scenario === 'outage') return { status: 500, body: { error: 'Internal Server Error' } };
  switch (state.scenario) {
    case 'empty':
      return { status: 200, body: { results: [] } };
    case 'nan':
      return { status: 200, body: { results: [{ result: null }] } };
    case 'several':
      return { status: 200, body: { results: [{ result: 1 }, { result: 2 }] } };
    default:
      return { status: 200, body: { results: [{ result: state.value }], metadata: { eventTypes: ['Metric'] } } };
  }
}

export const newrelicContract = (): ContractServer => new ContractServer(handle);
