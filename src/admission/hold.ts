// Davy's hold on a workload's rollout, and how it is told apart from the user's own settings.
//
// The contract (the webhook and the stepper both follow it):
// - Davy holds a workload if and only if it carries the annotation `davy.dev/held`. A
//   `spec.paused: true` without that annotation is the user's own pause: Davy never lifts it.
// - Deployment: the hold is `spec.paused: true`. `davy.dev/held` records what the hold covered:
//     "true"         Davy paused a Deployment that was running; release removes `spec.paused`.
//     "user-paused"  the Deployment was already paused by its user when the hold was placed;
//                    release leaves `spec.paused: true` (the user resumes it, as before Davy).
//   Any other value reads as "true". While held, `spec.paused` is Davy's: `kubectl rollout resume`
//   and an apply that omits the field are indistinguishable on the wire (Go omits `paused: false`),
//   so neither lifts the hold nor changes what release restores.
// - DaemonSet: the hold is `spec.updateStrategy: {type: OnDelete}`, `davy.dev/held: "true"`, and the
//   strategy in force before the hold saved as canonical JSON in `davy.dev/saved-update-strategy`;
//   release puts it back verbatim (a user's own OnDelete included).
// - What the hold records is read from the object *before* the request (oldObject), never from the
//   request itself: that keeps the mutation idempotent under reinvocation.
import { ANNOTATION_HELD, ANNOTATION_SAVED_UPDATE_STRATEGY } from '../api/keys.js';
import { canonicalJson } from '../api/revision.js';

/** `davy.dev/held` when Davy paused a running Deployment (and for every DaemonSet hold). */
export const HELD_BY_DAVY = 'true';
/** `davy.dev/held` when the Deployment was already paused by its user as the hold was placed. */
export const HELD_OVER_USER_PAUSE = 'user-paused';

export type WorkloadKind = 'Deployment' | 'DaemonSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'DaemonSet'];

export type HoldPointer = '/spec/paused' | '/spec/updateStrategy';

/** The one spec field a hold owns and the value it must have; `undefined` means absent. */
export interface SpecField {
  pointer: HoldPointer;
  value: unknown;
}

/** The spec field while Davy holds the workload. */
export function heldSpecField(kind: WorkloadKind): SpecField {
  return kind === 'Deployment' ? { pointer: '/spec/paused', value: true } : { pointer: '/spec/updateStrategy', value: { type: 'OnDelete' } };
}

/** The annotations recording a new hold, from the workload's spec before it was held. */
export function holdAnnotations(kind: WorkloadKind, specBefore: Record<string, unknown>): Record<string, string> {
  if (kind === 'Deployment') {
    return { [ANNOTATION_HELD]: specBefore.paused === true ? HELD_OVER_USER_PAUSE : HELD_BY_DAVY };
  }
  return { [ANNOTATION_HELD]: HELD_BY_DAVY, [ANNOTATION_SAVED_UPDATE_STRATEGY]: canonicalJson(specBefore.updateStrategy ?? {}) };
}

/** The spec field once a hold recorded by `annotations` is released; a warning if it cannot be read. */
export function releasedSpecField(kind: WorkloadKind, annotations: Readonly<Record<string, string>>): { field: SpecField; warning?: string } {
  if (kind === 'Deployment') {
    const userPaused = annotations[ANNOTATION_HELD] === HELD_OVER_USER_PAUSE;
    return { field: { pointer: '/spec/paused', value: userPaused ? true : undefined } };
  }
  const saved = parseStrategy(annotations[ANNOTATION_SAVED_UPDATE_STRATEGY]);
  if (saved === undefined) {
    // Not a silent fallback: the user is told, and the apiserver defaults the strategy it gets.
    return {
      field: { pointer: '/spec/updateStrategy', value: undefined },
      warning: `${ANNOTATION_SAVED_UPDATE_STRATEGY} is missing or unreadable: the hold is released and spec.updateStrategy takes the apiserver's default`,
    };
  }
  return { field: { pointer: '/spec/updateStrategy', value: saved } };
}

function parseStrategy(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The field's current value in a spec, `paused: false` read as absent (they mean the same). */
export function currentSpecValue(spec: Record<string, unknown>, pointer: HoldPointer): unknown {
  const value = pointer === '/spec/paused' ? spec.paused : spec.updateStrategy;
  return pointer === '/spec/paused' && value === false ? undefined : value;
}
