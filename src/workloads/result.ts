// Expected outcomes that are not successes (a target without a selector label, a missing required
// ConfigMap, weights a router cannot express) are values, not exceptions: the stepper turns them
// into events and conditions. API failures (network, 409 on a stale write) still throw.

export const PROBLEM_CODES = [
  /** The target's selector has none of the selector labels (app, name, app.kubernetes.io/name). */
  'SelectorLabelMissing',
  /** A name or label value Davy derives would exceed its Kubernetes length limit. */
  'NameTooLong',
  /** The target or autoscaler is of a kind or version Davy does not handle. */
  'UnsupportedKind',
  /** The target workload does not exist. */
  'TargetMissing',
  /** A required ConfigMap or Secret referenced by the pod template does not exist. */
  'ConfigMissing',
  /** An object Davy needs is controlled by someone else, or cannot be brought to what Davy needs without breaking it. */
  'ObjectConflict',
  /** The Canary asks for something contradictory (e.g. Istio delegation together with hosts). */
  'InvalidSpec',
  /** Weights or mirroring the router cannot express. */
  'InvalidRoutes',
  /** The routing object is absent or not in a shape Davy wrote: reconcile first. */
  'NotReconciled',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  code: ProblemCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ProblemCode, message: string): Result<T> => ({ ok: false, error: { code, message } });
/** Re-types a failure so it can be returned from a function with another success type. */
export const failed = <T>(result: { ok: false; error: Problem }): Result<T> => ({ ok: false, error: result.error });
