// CloudWatch GetMetricData over the AWS JSON 1.0 protocol, as Davy's cloudwatch provider sends it
// (docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html): POST /, the
// X-Amz-Target and content type of the JSON protocol, and a SigV4 signature for the `monitoring`
// service in the expected region, recomputed here from the request as received with the known
// secret (403 IncompleteSignatureException / SignatureDoesNotMatch / UnrecognizedClientException,
// in the JSON protocol's error shape). StartTime, EndTime and MetricDataQueries are checked as the
// API documents them (400 InvalidParameterValue / MissingParameter).
import { signRequest } from '../../../src/metrics/providers/sigv4.js';
import { ContractServer, type ContractAnswer, type ContractRequest, type ContractState } from './server.js';

export const CLOUDWATCH_REGION = 'eu-west-1';
export const CLOUDWATCH_KEYS = { aws_access_key_id: 'AKIDDAVYTEST', aws_secret_access_key: 'davy/secret/key' };

const error = (status: number, type: string, message: string): ContractAnswer => ({ status, body: { __type: `com.amazonaws.cloudwatch#${type}`, message } });

function signatureProblem(req: ContractRequest): ContractAnswer | undefined {
  const auth = req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  const date = req.headers['x-amz-date'];
  if (!match || typeof date !== 'string') return error(403, 'IncompleteSignatureException', 'Authorization header or X-Amz-Date is missing or malformed');
  const [, keyId, day, region, service, signed] = match;
  if (keyId !== CLOUDWATCH_KEYS.aws_access_key_id) return error(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (region !== CLOUDWATCH_REGION || service !== 'monitoring' || !date.startsWith(day!)) return error(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region and service 'monitoring'`);
  const names = signed!.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-target']) if (!names.includes(required)) return error(403, 'IncompleteSignatureException', `${required} must be signed`);
  const headers = Object.fromEntries(names.filter((n) => n !== 'host' && n !== 'x-amz-date').map((n) => [n, String(req.headers[n] ?? '')]));
  const now = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const expected = signRequest({
    method: req.method, url: new URL(`http://${String(req.headers.host)}${req.url.pathname}${req.url.search}`), headers, body: req.body, region: CLOUDWATCH_REGION, service: 'monitoring', now,
    credentials: { accessKeyId: CLOUDWATCH_KEYS.aws_access_key_id, secretAccessKey: CLOUDWATCH_KEYS.aws_secret_access_key },
  });
  if (expected.authorization !== auth) return error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  return undefined;
}

function handle(req: ContractRequest, state: ContractState): ContractAnswer {
  if (req.method !== 'POST' || req.url.pathname !== '/') return error(404, 'UnknownOperationException', 'Unknown operation');
  const refused = signatureProblem(req);
  if (refused) return refused;
  if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return error(400, 'SerializationException', 'Unexpected content type');
  if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData') return error(400, 'UnknownOperationException', 'Unknown operation');
  let body: { MetricDataQueries?: { Id?: unknown }[]; StartTime?: unknown; EndTime?: unknown; MaxDatapoints?: unknown };
  try {
    body = JSON.parse(req.body) as typeof body;
  } catch {
    return error(400, 'SerializationException', 'Body is not JSON');
  }
  if (typeof body.StartTime !== 'number' || typeof body.EndTime !== 'number') return error(400, 'MissingParameter', 'StartTime and EndTime (epoch seconds) are required');
  if (body.StartTime >= body.EndTime) return error(400, 'InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
  if (!Array.isArray(body.MetricDataQueries) || body.MetricDataQueries.length === 0) return error(400, 'MissingParameter', 'The parameter MetricDataQueries is required.');
  if (body.MetricDataQueries.some((q) => typeof q.Id !== 'string' || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))) return error(400, 'InvalidParameterValue', 'The value for parameter MetricDataQueries.member.1.Id must start with a lowercase letter');
  if (state.scenario === 'outage') return error(500, 'InternalServiceError', 'Internal service error');
  const result = (id: string, values: (number | null)[]) => ({ Id: id, Label: id, Timestamps: values.map((_, i) => Number(body.EndTime) - 60 * i), Values: values, StatusCode: 'Complete' });
  const id = String(body.MetricDataQueries[0]!.Id);
  switch (state.scenario) {
    case 'empty':
      return { status: 200, body: { MetricDataResults: [result(id, [])], Messages: [] } };
    case 'nan':
      return { status: 200, body: { MetricDataResults: [result(id, ['NaN' as unknown as number])], Messages: [] } };
    case 'several':
      return { status: 200, body: { MetricDataResults: [result(id, [1]), result(`${id}b`, [2])], Messages: [] } };
    default:
      return { status: 200, body: { MetricDataResults: [result(id, [state.value, 1e9])], Messages: [] } };
  }
}

export const cloudwatchContract = (): ContractServer => new ContractServer(handle);
