// Google Cloud Monitoring as Davy's stackdriver provider uses it, and the OAuth 2.0 token endpoint
// a service account key names (developers.google.com/identity/protocols/oauth2/service-account,
// cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/query):
//   POST /token                       form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and
//                                     an RS256 JWT signed by the key (checked with its public key),
//                                     aud = this endpoint, the monitoring scope, a current iat/exp;
//                                     400 {"error":"invalid_grant", ...} otherwise
//   POST /v3/projects/<p>/timeSeries:query   Bearer token issued here (401 UNAUTHENTICATED), the
//                                     key's project (403 PERMISSION_DENIED), JSON {"query"} non-empty
//                                     (400 INVALID_ARGUMENT)
// A key for the tests is made at start: a fresh RSA pair, its private half in the JSON key.
import { createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import { ContractServer, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const STACKDRIVER_PROJECT = 'davy-tests';
const EMAIL = 'davy@davy-tests.iam.gserviceaccount.com';

const googleError = (code: number, status: string, message: string): ContractAnswer => ({ status: code, body: { error: { code, message, status } } });

export interface StackdriverContract {
  server: ContractServer;
  /** The Secret's data for a server at `address`: project and a service account key whose token_uri is the server. */
  secretData(address: string): Record<string, string>;
}

export function stackdriverContract(): StackdriverContract {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issued = new Set<string>();
  const token = (req: ContractRequest): ContractAnswer => {
    const form = new URLSearchParams(req.body);
    const invalid = (why: string): ContractAnswer => ({ status: 400, body: { error: 'invalid_grant', error_description: why } });
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return invalid('form encoding required');
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    if (!header || !claims || !signature) return invalid('Invalid JWT');
    if (!createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature, 'base64url'))) return invalid('Invalid JWT Signature.');
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    const now = Date.now() / 1000;
    if (c.iss !== EMAIL) return invalid('Invalid issuer');
    if (c.aud !== `http://${String(req.headers.host)}/token`) return invalid('Invalid JWT: audience');
    if (!c.scope?.split(' ').includes('https://www.googleapis.com/auth/monitoring.read')) return invalid('Invalid scope');
    if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || c.iat > now + 300 || c.exp < now || c.exp - c.iat > 3600) return invalid('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const value = `ya29.${randomUUID()}`;
    issued.add(value);
    return { status: 200, body: { access_token: value, expires_in: 3599, token_type: 'Bearer' } };
  };
  const handle = (req: ContractRequest, state: ContractState): ContractAnswer => {
    if (req.method !== 'POST') return googleError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
    if (req.url.pathname === '/token') return token(req);
    const match = /^\/v3\/projects\/([^/]+)\/timeSeries:query$/.exec(req.url.pathname);
    if (!match) return googleError(404, 'NOT_FOUND', 'Not found');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !issued.has(bearer)) return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    if (match[1] !== STACKDRIVER_PROJECT) return googleError(403, 'PERMISSION_DENIED', `Permission monitoring.timeSeries.list denied (or the resource may not exist).`);
    let body: { query?: unknown };
    try {
      body = JSON.parse(req.body) as { query?: unknown };
    } catch {
      return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (typeof body.query !== 'string' || body.query.trim() === '') return googleError(400, 'INVALID_ARGUMENT', 'Field query had an invalid value: must not be empty');
    if (state.scenario === 'outage') return googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.');
    const series = (value: number | string) => ({ labelValues: [{ stringValue: 'podinfo' }], pointData: [{ values: [{ doubleValue: value }], timeInterval: { startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T00:01:00Z' } }] });
    const descriptor = { timeSeriesDescriptor: { labelDescriptors: [{ key: 'resource.service' }], pointDescriptors: [{ key: 'value', valueType: 'DOUBLE', metricKind: 'GAUGE' }] } };
    switch (state.scenario) {
      case 'empty':
        return { status: 200, body: {} };
      case 'nan':
        return { status: 200, body: { ...descriptor, timeSeriesData: [series('NaN')] } };
      case 'several':
        return { status: 200, body: { ...descriptor, timeSeriesData: [series(1), series(2)] } };
      default:
        return { status: 200, body: { ...descriptor, timeSeriesData: [series(state.value)] } };
    }
  };
  return {
    server: new ContractServer(handle),
    secretData: (address) => ({
      project: STACKDRIVER_PROJECT,
      serviceAccountKey: JSON.stringify({
        type: 'service_account', project_id: STACKDRIVER_PROJECT, private_key_id: 'k1', client_email: EMAIL, token_uri: `${address}/token`,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    }),
  };
}
