// Who may write a Canary's `davy.dev/state` (issue 11, finding 1). The stepper reads a Canary's
// whole progress (phase, step, failed checks, gates passed) from that annotation and trusts it,
// so whoever could write it could skip the analysis, the hooks and the confirm-promotion gate
// with no trace. Only the stepper identity may add, change or remove it; users keep
// `davy.dev/action`, the audited channel through which `davy promote|abort|...` ask the stepper.
//
// Pure: the decision reads the AdmissionRequest alone. Every path that writes a Canary's metadata
// reaches /validate as an UPDATE of `canaries` (update, JSON/merge/strategic patch, server-side
// apply with or without --force-conflicts); a write to canaries/status cannot change metadata at
// all (the apiserver copies everything but status from the stored object), so it needs no rule.
import { ANNOTATION_STATE, GROUP } from '../api/keys.js';
import { isStepper, type StepperIdentity } from './mutate.js';
import { denied, type AdmissionRequest, type JsonObject, type Outcome } from './review.js';

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The state annotation's text in an object, `undefined` when absent (or not a string: the apiserver refuses that). */
function stateOf(object: JsonObject | undefined): string | undefined {
  const metadata = isObject(object?.metadata) ? object.metadata : {};
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const value = annotations[ANNOTATION_STATE];
  return typeof value === 'string' ? value : undefined;
}

function change(before: string | undefined, after: string | undefined): 'adds' | 'changes' | 'removes' | undefined {
  if (before === after) return undefined;
  if (before === undefined) return 'adds';
  return after === undefined ? 'removes' : 'changes';
}

/**
 * The denial of a CREATE or UPDATE of a Canary that touches `davy.dev/state` from anyone but the
 * stepper, or `undefined` when the request may go on to validation. A CREATE that carries the
 * annotation counts as adding it: a Canary deleted and re-created with a forged state would
 * otherwise start where its author chose.
 */
export function stateWriteDenial(request: AdmissionRequest, stepper: StepperIdentity): Outcome | undefined {
  if (request.kind.group !== GROUP || request.kind.kind !== 'Canary') return undefined;
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
  if (request.subResource !== undefined) return undefined;
  const verb = change(request.operation === 'UPDATE' ? stateOf(request.oldObject) : undefined, stateOf(request.object));
  if (verb === undefined || isStepper(request.userInfo, stepper)) return undefined;
  const user = request.userInfo.username === '' ? 'an anonymous user' : JSON.stringify(request.userInfo.username);
  const message =
    `metadata.annotations[${ANNOTATION_STATE}]: Forbidden: only Davy's stepper may write the state annotation, and this request ${verb} it as ${user}; ` +
    `to act on a canary use \`davy promote|abort|retry|pause|resume\` (the davy.dev/action annotation), and to re-apply a manifest keep the annotation as stored`;
  const review = denied(request.uid, {
    code: 403,
    reason: 'Forbidden',
    message,
    details: { name: request.name, group: request.kind.group, kind: request.kind.kind, causes: [{ reason: 'FieldValueForbidden', message, field: `metadata.annotations[${ANNOTATION_STATE}]` }] },
  });
  return { verdict: 'denied', reason: 'state-write-forbidden', review, details: { change: verb } };
}
