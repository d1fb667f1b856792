// Google Cloud Monitoring (Stackdriver): an MQL query through `projects.timeSeries.query`
// (`POST /v3/projects/<project>/timeSeries:query` with `{"query": ...}`), as Flagger queries it.
// The Secret holds `project` (required) and `serviceAccountKey`, a service account's JSON key:
// Davy signs a JWT with its private key and trades it at the key's `token_uri` for an access token
// (OAuth 2.0 JWT bearer grant, scope monitoring.read), kept until shortly before it expires.
// Without a key Flagger falls back to Workload Identity; Davy does not yet, and says so.
// `provider.address` overrides the API's base URL. The value is the first point's double (or
// int64) value of the one series; no series or no points is no data.

import { createSign } from 'node:crypto';
import { failingProvider, failure, noData, type MetricProvider, type MetricProviderConfig, type MetricResult } from '../provider.js';
import { endpoint, onlineOf, pointValue, requestJson, resultOf, severalSeries } from './http-json.js';

export const STACKDRIVER_DEFAULT_ADDRESS = 'https://monitoring.googleapis.com';
export const STACKDRIVER_SCOPE = 'https://www.googleapis.com/auth/monitoring.read';
const NAME = 'stackdriver';
/** Tokens are renewed this long before Google says they expire. */
const TOKEN_MARGIN_MS = 60_000;

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri: string;
}

/** Google's errors are `{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}`. */
const errorOf = (body: unknown): string | undefined => {
  const error = (body as { error?: { message?: unknown; status?: unknown } | string; error_description?: unknown } | null)?.error;
  if (typeof error === 'string') return [error, (body as { error_description?: unknown }).error_description].filter((x) => typeof x === 'string').join(': ');
  if (!error) return undefined;
  return [error.status, error.message].filter((x) => typeof x === 'string').join(': ') || undefined;
};

function parseKey(text: string): ServiceAccountKey | string {
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(text) as Partial<ServiceAccountKey>;
  } catch {
    return `${NAME}: the secret's serviceAccountKey is not JSON`;
  }
  const missing = (['client_email', 'private_key', 'token_uri'] as const).filter((k) => typeof key[k] !== 'string' || key[k] === '');
  return missing.length > 0 ? `${NAME}: the serviceAccountKey lacks ${missing.join(', ')}` : (key as ServiceAccountKey);
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** A signed JWT asking for `scope`, for the key's token endpoint (RS256, one hour). */
export function jwtAssertion(key: ServiceAccountKey, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) }));
  const claims = base64url(JSON.stringify({ iss: key.client_email, scope: STACKDRIVER_SCOPE, aud: key.token_uri, iat, exp: iat + 3600 }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

export function stackdriverProvider(config: MetricProviderConfig): MetricProvider {
  const project = config.secretData?.project?.trim();
  if (!project) return failingProvider(`${NAME}: provider.secretRef is required, a Secret with project (and serviceAccountKey)`);
  const keyText = config.secretData?.serviceAccountKey;
  if (!keyText) return failingProvider(`${NAME}: the secret has no serviceAccountKey; Workload Identity is not supported by Davy yet`);
  const key = parseKey(keyText);
  if (typeof key === 'string') return failingProvider(key);
  const clock = () => config.now?.() ?? new Date();
  let token: { value: string; until: number } | undefined;

  const accessToken = async (signal?: AbortSignal): Promise<string | MetricResult> => {
    if (token && token.until > clock().getTime()) return token.value;
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(key, clock()) }).toString();
    const answer = await requestJson({
      provider: `${NAME} token`, method: 'POST', url: key.token_uri, body, config, errorMessage: errorOf,
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...(signal ? { signal } : {}),
    });
    if (answer.kind === 'result') return answer.result;
    const granted = answer.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof granted?.access_token !== 'string') return failure(`${NAME}: the token endpoint answered no access_token`);
    const lifetimeMs = (typeof granted.expires_in === 'number' ? granted.expires_in : 3600) * 1000;
    token = { value: granted.access_token, until: clock().getTime() + lifetimeMs - TOKEN_MARGIN_MS };
    return token.value;
  };

  const run = async (query: string, signal?: AbortSignal) => {
    const bearer = await accessToken(signal);
    if (typeof bearer !== 'string') return { kind: 'result' as const, result: bearer };
    const url = endpoint(config.address || STACKDRIVER_DEFAULT_ADDRESS, `/v3/projects/${encodeURIComponent(project)}/timeSeries:query`);
    return requestJson({
      provider: NAME, method: 'POST', url: url.toString(), body: JSON.stringify({ query }), config, errorMessage: errorOf,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, ...(signal ? { signal } : {}),
    });
  };

  return {
    query: async (text, signal) => resultOf(await run(text, signal), interpret),
    // Flagger's check: an empty query must be refused as INVALID_ARGUMENT; refused credentials are offline.
    isOnline: async (signal) => {
      const answer = await run('', signal);
      const online = onlineOf(answer);
      return !online.online && /HTTP 400 .*INVALID_ARGUMENT/.test(online.message) ? { online: true } : online;
    },
  };
}

function interpret(body: unknown): MetricResult {
  const series = (body as { timeSeriesData?: unknown } | null)?.timeSeriesData;
  if (series === undefined || (Array.isArray(series) && series.length === 0)) return noData('the query returned no time series');
  if (!Array.isArray(series)) return failure(`${NAME}: timeSeriesData is not a list`);
  if (series.length > 1) return severalSeries(NAME, series.length);
  const points = (series[0] as { pointData?: unknown } | null)?.pointData;
  if (!Array.isArray(points) || points.length === 0) return noData('the series has no points in the window');
  const value = ((points[0] as { values?: unknown[] } | null)?.values ?? [])[0] as { doubleValue?: unknown; int64Value?: unknown } | undefined;
  if (value?.doubleValue !== undefined) return pointValue(NAME, value.doubleValue, 'the first point');
  if (typeof value?.int64Value === 'string') return pointValue(NAME, Number(value.int64Value), 'the first point');
  return failure(`${NAME}: the first point has neither a doubleValue nor an int64Value: ${JSON.stringify(value) ?? 'undefined'}`);
}
