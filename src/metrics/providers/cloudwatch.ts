// CloudWatch: GetMetricData over the service's JSON protocol (POST / with
// `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`), signed with SigV4 for the
// `monitoring` service in `provider.region`. The query is Flagger's: a JSON array of
// MetricDataQuery; the window is ten metric intervals back from now, MaxDatapoints 20, and the value
// is the first value of the result. Credentials come from the Secret's `aws_access_key_id`,
// `aws_secret_access_key` (and `aws_session_token`) when a secretRef is set, else from the
// stepper's environment (AWS_ACCESS_KEY_ID, ... as the AWS SDK's default chain reads them).
// `provider.address` overrides the regional endpoint (a VPC endpoint, or a test's server).

import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { endpoint, pointValue, requestJson, resultOf, window } from './http-json.js';
import { signRequest, type AwsCredentials } from './sigv4.js';

export const CLOUDWATCH_WINDOW_FACTOR = 10;
export const CLOUDWATCH_MAX_DATAPOINTS = 20;
export const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801.GetMetricData';
const NAME = 'cloudwatch';

/** AWS JSON-protocol errors: `{"__type": "...#Name", "message": "..."}`. */
const errorOf = (body: unknown): string | undefined => {
  const b = body as { __type?: unknown; message?: unknown; Message?: unknown } | null;
  const type = typeof b?.__type === 'string' ? b.__type.split('#').pop() : undefined;
  const text = typeof b?.message === 'string' ? b.message : typeof b?.Message === 'string' ? b.Message : undefined;
  return type || text ? [type, text].filter(Boolean).join(': ') : undefined;
};

/** The credentials, from the Secret or the environment, or why there are none. */
export function awsCredentials(secretData: Record<string, string> | undefined, env: NodeJS.ProcessEnv): AwsCredentials | string {
  const from = (id?: string, secret?: string, token?: string): AwsCredentials | undefined =>
    id && secret ? { accessKeyId: id.trim(), secretAccessKey: secret.trim(), ...(token ? { sessionToken: token.trim() } : {}) } : undefined;
  if (secretData) return from(secretData.aws_access_key_id, secretData.aws_secret_access_key, secretData.aws_session_token) ?? `${NAME}: the secret must contain aws_access_key_id and aws_secret_access_key`;
  return from(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN) ?? `${NAME}: no credentials: set provider.secretRef, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the stepper`;
}

/** `env` is the stepper's environment, the AWS default chain's first source; tests pass their own. */
export function cloudwatchProvider(config: MetricProviderConfig, env: NodeJS.ProcessEnv = process.env): MetricProvider {
  const region = config.region;
  if (!region) return failingProvider(`${NAME}: provider.region is required`);
  const credentials = awsCredentials(config.secretData, env);
  if (typeof credentials === 'string') return failingProvider(credentials);
  const url = endpoint(config.address || `https://monitoring.${region}.amazonaws.com`, '/');
  const call = async (body: Record<string, unknown>, signal?: AbortSignal) => {
    const text = JSON.stringify(body);
    const headers = signRequest({
      method: 'POST', url, body: text, region, service: 'monitoring', now: config.now?.() ?? new Date(), credentials,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': CLOUDWATCH_TARGET },
    });
    delete headers.host; // node sets it from the URL; signed all the same
    return requestJson({ provider: NAME, method: 'POST', url: url.toString(), headers, body: text, config, errorMessage: errorOf, ...(signal ? { signal } : {}) });
  };
  const span = () => {
    const { fromMs, toMs } = window(config, CLOUDWATCH_WINDOW_FACTOR);
    return { StartTime: Math.floor(fromMs / 1000), EndTime: Math.floor(toMs / 1000) };
  };
  return {
    query: async (text, signal) => {
      let queries: unknown;
      try {
        queries = JSON.parse(text) as unknown;
      } catch (error) {
        return failure(`${NAME}: the query must be a JSON array of MetricDataQuery: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!Array.isArray(queries) || queries.length === 0) return failure(`${NAME}: the query must be a non-empty JSON array of MetricDataQuery`);
      const answer = await call({ MetricDataQueries: queries, ...span(), MaxDatapoints: CLOUDWATCH_MAX_DATAPOINTS }, signal);
      return resultOf(answer, interpret);
    },
    // Flagger's check: an empty GetMetricData; a validation error (400) proves the service and the
    // credentials answer, a refused signature or credential does not.
    isOnline: async (signal) => {
      const answer = await call({ MetricDataQueries: [], ...span() }, signal);
      if (answer.kind === 'json') return { online: true };
      const message = answer.result.kind === 'error' ? answer.result.message : 'no answer';
      return /HTTP 400/.test(message) ? { online: true } : { online: false, message };
    },
  };
}

function interpret(body: unknown): MetricResult {
  const results = (body as { MetricDataResults?: { Id?: unknown; Values?: unknown; StatusCode?: unknown }[] } | null)?.MetricDataResults;
  if (!Array.isArray(results)) return failure(`${NAME}: the answer has no MetricDataResults`);
  if (results.length === 0) return noData('the query returned no results');
  if (results.length > 1) return failure(`${NAME}: the query returned ${results.length} results; set ReturnData false on all but one MetricDataQuery`);
  const values = results[0]?.Values;
  const status = results[0]?.StatusCode;
  if (!Array.isArray(values) || values.length === 0) return noData(`no datapoints in the window (StatusCode ${typeof status === 'string' ? status : 'unknown'})`);
  return pointValue(NAME, values[0], 'the first value');
}
