// InfluxDB: a Flux query over the v2 query API (`POST <address>/api/v2/query?org=<org>`, served by
// InfluxDB 2.x and by 1.8+ with `flux-enabled`), the query in a JSON body and the answer as
// annotated CSV. With a secretRef the Secret's `token` and `org` are both required (Flagger's rule);
// the token goes as `Authorization: Token <token>` (on 1.8, `<user>:<password>`). 15 s, as Flagger.
//
// The value is the `_value` of the one record the query answers (end it with `last()`, `mean()`,
// `sum()`...). Flagger takes the first record and answers 0 when there is none; Davy calls an empty
// answer no data (flagger-compat §15.2 item 11) and refuses to guess among several records.

import { sendRequest } from '../../webhooks/http.js';
import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult, type OnlineResult } from '../provider.js';
import { readFluxCsv, type FluxRecord } from './flux-csv.js';
import { addressProblem, endpoint, pointValue, requireKeys } from './http-json.js';

const NAME = 'influxdb';
export const INFLUXDB_TIMEOUT_MS = 15_000;
/**
 * The online check: a query that needs the server and accepted credentials but no data. Flagger
 * reads two hours of a bucket named `default`, which fails on every server that has none.
 */
export const INFLUXDB_ONLINE_QUERY = 'buckets() |> limit(n: 1)';
const NUMERIC = new Set(['double', 'long', 'unsignedLong']);
const QUOTED_CHARS = 200;

export function influxdbProvider(config: MetricProviderConfig): MetricProvider {
  const problem = addressProblem(NAME, config.address);
  if (problem) return failingProvider(problem);
  let credentials: { token: string; org: string } | undefined;
  if (config.secretData) {
    const keys = requireKeys(NAME, config.secretData, ['token', 'org'] as const);
    if (typeof keys === 'string') return failingProvider(keys);
    credentials = keys;
  }
  const run = (query: string, signal?: AbortSignal) => fluxQuery(config, credentials, query, signal);
  return {
    query: async (text, signal) => {
      const answer = await run(text, signal);
      return answer.kind === 'csv' ? interpret(answer.text) : answer.result;
    },
    isOnline: async (signal): Promise<OnlineResult> => {
      const answer = await run(INFLUXDB_ONLINE_QUERY, signal);
      if (answer.kind === 'csv') return { online: true };
      return { online: false, message: answer.result.kind === 'error' ? answer.result.message : 'no answer' };
    },
  };
}

type FluxHttpAnswer = { kind: 'csv'; text: string } | { kind: 'failed'; result: MetricResult };

async function fluxQuery(config: MetricProviderConfig, credentials: { token: string; org: string } | undefined, query: string, signal?: AbortSignal): Promise<FluxHttpAnswer> {
  const url = endpoint(config.address ?? '', '/api/v2/query');
  if (credentials) url.searchParams.set('org', credentials.org);
  const response = await sendRequest({
    method: 'POST',
    url: url.toString(),
    headers: {
      'content-type': 'application/json',
      accept: 'application/csv',
      ...(credentials ? { authorization: `Token ${credentials.token}` } : {}),
    },
    body: JSON.stringify({ query, type: 'flux', dialect: { header: true, delimiter: ',', annotations: ['datatype', 'group', 'default'] } }),
    timeoutMs: config.timeoutMs ?? INFLUXDB_TIMEOUT_MS,
    ...(config.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
    ...(signal ? { signal } : {}),
  });
  if (response.kind === 'failure') return { kind: 'failed', result: failure(`${NAME}: ${response.message}`) };
  if (response.status >= 200 && response.status < 300) return { kind: 'csv', text: response.body };
  const said = serverMessage(response.body);
  const what = response.status === 401 || response.status === 403 ? `the credentials were refused (HTTP ${response.status})` : `HTTP ${response.status} ${response.statusText}`.trim();
  return { kind: 'failed', result: failure(`${NAME}: ${what}${said ? `: ${said}` : ''}`) };
}

/**
 * 1.8 answers `{"error": "..."}`, 2.x `{"code": "...", "message": "..."}`; an error found after the
 * query started comes as CSV, an `error` header line and the message.
 */
function serverMessage(body: string): string {
  const csvError = /^error(?:,reference)?\r?\n(.*)/s.exec(body);
  if (csvError) return csvError[1]!.trim().slice(0, QUOTED_CHARS);
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown } | null;
    const said = parsed?.message ?? parsed?.error;
    if (typeof said === 'string') return said;
  } catch {
    // Not JSON: quote the text.
  }
  return body.trim().slice(0, QUOTED_CHARS);
}

function interpret(text: string): MetricResult {
  const answer = readFluxCsv(text);
  if (answer.kind === 'error') return failure(`${NAME}: ${answer.message}`);
  const { records } = answer;
  if (records.length === 0) return noData('the query returned no records');
  if (records.length > 1) return severalRecords(records);
  return valueOf(records[0]!);
}

function severalRecords(records: FluxRecord[]): MetricResult {
  const tables = new Set(records.map((r) => r.table)).size;
  return failure(`${NAME}: the query returned ${records.length} records in ${tables} table(s); reduce it to one, e.g. with |> last() or |> mean() and group()`);
}

function valueOf(record: FluxRecord): MetricResult {
  if (record.value === undefined) return failure(`${NAME}: the answer has no _value column`);
  if (record.value === '') return noData('the _value is null');
  if (!NUMERIC.has(record.datatype)) return failure(`${NAME}: the _value ${JSON.stringify(record.value)} is a ${record.datatype || 'value of no datatype'}, not a number`);
  const text = record.value;
  if (['NaN', '+Inf', '-Inf', 'Inf'].includes(text)) return pointValue(NAME, text === 'Inf' ? '+Inf' : text, 'the _value');
  return pointValue(NAME, Number(text), 'the _value');
}
