// AdmissionReview (admission.k8s.io/v1): decoding an untrusted body with precise errors, and pure
// builders for the responses. No I/O here; app.ts is the express edge.

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type JsonObject = Record<string, unknown>;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface UserInfo {
  username: string;
  groups: readonly string[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** The fields of an AdmissionRequest Davy reads, checked; `object`/`oldObject` stay untyped JSON. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  subResource?: string;
  name: string;
  namespace: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: JsonObject;
  oldObject?: JsonObject;
  dryRun: boolean;
}

/**
 * Why a body is not an AdmissionReview Davy can answer. The codes are stable and documented in
 * deploy/webhook/README.md (a unit test keeps that table in sync).
 */
export const DECODE_ERROR_CODES = {
  NotJson: 'the body is not JSON',
  NotAnObject: 'the body is JSON but not an object',
  NotAnAdmissionReview: `apiVersion/kind are not ${ADMISSION_API_VERSION} ${ADMISSION_KIND}`,
  NoRequest: 'the AdmissionReview has no request object',
  NoUid: 'request.uid is missing or not a non-empty string',
  InvalidRequest: 'the request has a uid but other fields are malformed (answered as a deny for that uid)',
  BodyTooLarge: 'the body exceeds the size limit',
  Overloaded: 'the webhook has as much review work in flight as its memory bound allows (answered 429 with Retry-After)',
  UnsupportedEncoding: 'the body is compressed (a Content-Encoding other than identity)',
  UnreadableBody: 'the body could not be read (the client aborted, or it did not match Content-Length)',
  MalformedHttp: 'the request is not well-formed HTTP/1.1 (answered before any route, then the connection is closed)',
  NotFound: 'no such endpoint',
  MethodNotAllowed: 'the endpoint exists but not for this HTTP method',
  Internal: 'an unexpected error outside any review',
} as const;
export type DecodeErrorCode = keyof typeof DECODE_ERROR_CODES;

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
}

export type DecodeResult =
  | { ok: true; request: AdmissionRequest }
  /** `uid` is set when the envelope was sound: the caller answers a deny for it, not a 400. */
  | { ok: false; uid?: string; error: DecodeError };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (code: DecodeErrorCode, message: string, uid?: string): DecodeResult =>
  uid === undefined ? { ok: false, error: { code, message } } : { ok: false, uid, error: { code, message } };

/** Parses and decodes a raw body (the request's bytes, or text). */
export function parseAdmissionReview(body: Buffer | string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail('NotJson', `the body is not JSON: ${reason}`);
  }
  return decodeAdmissionReview(value);
}

/** Decodes an already-parsed value, reporting the first envelope problem or every request problem. */
export function decodeAdmissionReview(value: unknown): DecodeResult {
  if (!isObject(value)) {
    return fail('NotAnObject', `the body is JSON but not an object (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`);
  }
  if (value.apiVersion !== ADMISSION_API_VERSION || value.kind !== ADMISSION_KIND) {
    return fail(
      'NotAnAdmissionReview',
      `expected apiVersion ${JSON.stringify(ADMISSION_API_VERSION)} and kind ${JSON.stringify(ADMISSION_KIND)}, got ${JSON.stringify(value.apiVersion) ?? 'none'} and ${JSON.stringify(value.kind) ?? 'none'}`,
    );
  }
  const request = value.request;
  if (!isObject(request)) {
    return fail('NoRequest', 'request: Required value: an AdmissionReview sent to a webhook carries a request object');
  }
  if (typeof request.uid !== 'string' || request.uid === '') {
    return fail('NoUid', 'request.uid: Required value: a non-empty string, echoed in the response');
  }
  return decodeRequest(request, request.uid);
}

function decodeRequest(raw: JsonObject, uid: string): DecodeResult {
  const problems: string[] = [];
  const text = (field: string, required: boolean): string => {
    const v = raw[field];
    if (typeof v === 'string') return v;
    if (v !== undefined || required) problems.push(`request.${field}: ${v === undefined ? 'Required value' : 'Invalid value: must be a string'}`);
    return '';
  };
  const optionalObject = (field: string): JsonObject | undefined => {
    const v = raw[field];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return v;
    problems.push(`request.${field}: Invalid value: must be an object or null`);
    return undefined;
  };

  const kind = decodeKind(raw.kind, problems);
  const operation = text('operation', true);
  if (operation !== '' && !OPERATIONS.includes(operation as Operation)) {
    problems.push(`request.operation: Unsupported value: ${JSON.stringify(operation)}: supported values: ${OPERATIONS.join(', ')}`);
  }
  const userInfo = decodeUserInfo(raw.userInfo, problems);
  const subResource = text('subResource', false);
  const request: AdmissionRequest = {
    uid,
    kind,
    name: text('name', false),
    namespace: text('namespace', false),
    operation: operation as Operation,
    userInfo,
    dryRun: raw.dryRun === true,
  };
  if (subResource !== '') request.subResource = subResource;
  const object = optionalObject('object');
  const oldObject = optionalObject('oldObject');
  if (object) request.object = object;
  if (oldObject) request.oldObject = oldObject;
  if (raw.dryRun !== undefined && typeof raw.dryRun !== 'boolean') problems.push('request.dryRun: Invalid value: must be a boolean');
  if (problems.length > 0) return fail('InvalidRequest', `malformed AdmissionRequest: ${problems.join('; ')}`, uid);
  return { ok: true, request };
}

function decodeKind(raw: unknown, problems: string[]): GroupVersionKind {
  if (!isObject(raw)) {
    problems.push('request.kind: Required value: {group, version, kind}');
    return { group: '', version: '', kind: '' };
  }
  const field = (name: 'group' | 'version' | 'kind'): string => {
    const v = raw[name];
    if (typeof v === 'string' && (v !== '' || name === 'group')) return v;
    if (v === undefined && name === 'group') return ''; // the core group is "" and may be omitted
    problems.push(`request.kind.${name}: Invalid value: must be a ${name === 'group' ? '' : 'non-empty '}string`);
    return '';
  };
  return { group: field('group'), version: field('version'), kind: field('kind') };
}

function decodeUserInfo(raw: unknown, problems: string[]): UserInfo {
  if (raw === undefined) return { username: '', groups: [] };
  if (!isObject(raw)) {
    problems.push('request.userInfo: Invalid value: must be an object');
    return { username: '', groups: [] };
  }
  const username = raw.username === undefined ? '' : raw.username;
  const groups = raw.groups === undefined || raw.groups === null ? [] : raw.groups;
  if (typeof username !== 'string') problems.push('request.userInfo.username: Invalid value: must be a string');
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    problems.push('request.userInfo.groups: Invalid value: must be a list of strings');
  }
  return {
    username: typeof username === 'string' ? username : '',
    groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
  };
}

// ---- responses -------------------------------------------------------------------------------

export type JsonPatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** metav1.StatusCause: `field` is the path; `message` does not repeat it. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** metav1.Status as a webhook returns it in response.status. */
export interface Status {
  status: 'Failure';
  code: 400 | 403 | 422 | 500;
  reason: 'BadRequest' | 'Forbidden' | 'Invalid' | 'InternalError';
  message: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  patchType?: 'JSONPatch';
  /** base64 of the JSON Patch (RFC 6902) document. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

/** Metric and log label for what a review ended in. */
export type Verdict = 'allowed' | 'denied' | 'patched' | 'error';

/** What a handler decided: the answer plus the reason logs and metrics report. */
export interface Outcome {
  verdict: Verdict;
  reason: string;
  review: AdmissionReviewResponse;
  /** Extra fields for the review's log line (rule, revisions, error counts, ...). */
  details?: Record<string, unknown>;
}

// Warnings are printed one per line by kubectl; the apiserver drops ones with control characters.
const cleanWarnings = (warnings: readonly string[]): string[] =>
  warnings.map((w) => w.replace(/\p{Cc}+/gu, ' ').trim()).filter((w) => w !== '');

function envelope(response: AdmissionResponse, warnings: readonly string[]): AdmissionReviewResponse {
  const cleaned = cleanWarnings(warnings);
  if (cleaned.length > 0) response.warnings = cleaned;
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

export function allowed(uid: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return envelope({ uid, allowed: true }, warnings);
}

/** Allowed with a JSON Patch; an empty patch gives a plain allow, so a no-op is visibly one. */
export function allowedWithPatch(uid: string, patch: readonly JsonPatchOperation[], warnings: readonly string[] = []): AdmissionReviewResponse {
  if (patch.length === 0) return allowed(uid, warnings);
  const encoded = Buffer.from(JSON.stringify(patch), 'utf8').toString('base64');
  return envelope({ uid, allowed: true, patchType: 'JSONPatch', patch: encoded }, warnings);
}

export function denied(uid: string, status: Omit<Status, 'status'>, warnings: readonly string[] = []): AdmissionReviewResponse {
  return envelope({ uid, allowed: false, status: { status: 'Failure', ...status } }, warnings);
}

/** The JSON body of a 4xx/5xx answered when there is no uid to deny. */
export function errorBody(error: DecodeError): { error: DecodeError } {
  return { error: { code: error.code, message: error.message } };
}
