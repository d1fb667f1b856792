// POST /validate: Canary, MetricTemplate and AlertProvider. The validator is injected (the
// composition root wires src/api's validator plus cluster checks); this file turns its
// ValidationResult into one denial listing every error, and admission warnings.
import { formatFieldError, type FieldError, type FieldErrorType, type ValidationResult } from '../api/field-errors.js';
import { canonicalJson } from '../api/revision.js';
import { stateWriteDenial } from './state-guard.js';
import type { StepperIdentity } from './mutate.js';
import { allowed, denied, type AdmissionRequest, type JsonObject, type Outcome, type StatusCause } from './review.js';

/** Validates one object as it would be stored; cluster-aware implementations may read the API. */
export type ValidateFn = (object: JsonObject, request: AdmissionRequest) => Promise<ValidationResult>;

// Kubernetes' CauseType for each field error type is `FieldValue` + the type (FieldValueInvalid, ...).
const causeType = (type: FieldErrorType): string => `FieldValue${type}`;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function objectName(request: AdmissionRequest, object: JsonObject): string {
  if (request.name !== '') return request.name;
  const metadata = isObject(object.metadata) ? object.metadata : {};
  if (typeof metadata.name === 'string' && metadata.name !== '') return metadata.name;
  return typeof metadata.generateName === 'string' ? metadata.generateName : '';
}

/**
 * One error as a metav1.StatusCause, as the apiserver makes its own: the field apart, the message
 * without it (kubectl prints each cause as `<field>: <message>`, so a message that repeated the
 * path would print it twice).
 */
export function statusCause(error: FieldError): StatusCause {
  const text = formatFieldError(error);
  const prefix = `${error.path}: `;
  if (!text.startsWith(prefix)) return { reason: causeType(error.type), message: text };
  const message = text.slice(prefix.length);
  return error.path === '' ? { reason: causeType(error.type), message } : { reason: causeType(error.type), message, field: error.path };
}

/**
 * The denial message, worded as the apiserver words its own (`Canary.flagger.app "podinfo" is
 * invalid: [a: ..., b: ...]`), on one line so every client prints every error.
 */
export function denialMessage(request: AdmissionRequest, name: string, errors: readonly FieldError[]): string {
  const resource = request.kind.group ? `${request.kind.kind}.${request.kind.group}` : request.kind.kind;
  const lines = errors.map(formatFieldError);
  const list = lines.length === 1 ? (lines[0] ?? '') : `[${lines.join(', ')}]`;
  return `${resource} ${JSON.stringify(name)} is invalid: ${list}`;
}

/**
 * The /validate answer. DELETE and CONNECT are allowed. A Canary write that touches
 * `davy.dev/state` is denied unless `stepper` sent it (state-guard.ts). An UPDATE that leaves `spec` as it was
 * (metadata, finalizers, Davy's own state and action annotations) is allowed without validating:
 * the spec was validated when it was written, and re-judging it against a cluster that has since
 * changed would block `davy abort` and the stepper's state writes on a Canary whose target is gone.
 */
export async function validateOutcome(request: AdmissionRequest, validate: ValidateFn, stepper: StepperIdentity): Promise<Outcome> {
  const { uid, operation, object, oldObject } = request;
  if (operation === 'DELETE' || operation === 'CONNECT') {
    return { verdict: 'allowed', reason: 'not-validated-operation', review: allowed(uid) };
  }
  if (!object) {
    const message = `request.object: Required value: a ${operation} carries the object to validate`;
    return { verdict: 'denied', reason: 'no-object', review: denied(uid, { code: 400, reason: 'BadRequest', message }) };
  }
  const forbidden = stateWriteDenial(request, stepper);
  if (forbidden) return forbidden;
  if (operation === 'UPDATE' && oldObject && canonicalJson(oldObject.spec ?? null) === canonicalJson(object.spec ?? null)) {
    return { verdict: 'allowed', reason: 'spec-unchanged', review: allowed(uid) };
  }
  const result = await validate(object, request);
  if (result.errors.length === 0) {
    return { verdict: 'allowed', reason: 'valid', review: allowed(uid, result.warnings), details: { warnings: result.warnings.length } };
  }
  const name = objectName(request, object);
  const review = denied(
    uid,
    {
      code: 422,
      reason: 'Invalid',
      message: denialMessage(request, name, result.errors),
      details: {
        name,
        group: request.kind.group,
        kind: request.kind.kind,
        causes: result.errors.map(statusCause),
      },
    },
    result.warnings,
  );
  return { verdict: 'denied', reason: 'invalid', review, details: { errors: result.errors.length, warnings: result.warnings.length } };
}
