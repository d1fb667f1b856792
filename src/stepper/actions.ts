// The actions step() asks the runner to carry out. Each is idempotent and states an absolute
// target ("routes 85/15", "copy at the workload's replicas", "hold released"), never an
// increment, so applying one twice, or re-applying intent() after a crash, is harmless.
//
// The runner applies a step's actions in list order, after writing the new state. Between steps
// it re-applies intent(state, spec) on every pass. The contract of each action is what the runner
// must make true; "no write" means the runner compares first and writes only on a difference.

import type { AlertSeverity, CanarySpec } from '../api/types.js';
import type { CloudEventEntry, Phase, SessionCookies, State } from './state.js';

/** Ensure `davy.dev/finalizer` is in the Canary's metadata.finalizers. */
export interface AddFinalizer {
  kind: 'addFinalizer';
}

/**
 * Ensure Davy's objects exist, without touching the workload's spec:
 * - the label `davy.dev/canary: <canary name>` on the workload (it scopes the mutating webhook);
 * - the copy `<target>-canary`: when missing, created from the workload's current template with
 *   selector and pod labels rewritten (`app: <name>-canary`) and 0 replicas; when present, its
 *   template and replicas are left to syncCopy and scaleCopy;
 * - Services `<svc>`, `<svc>-primary` (stable pods), `<svc>-canary` (the copy's pods); an existing
 *   apex Service is adopted (ports and selector converge, its metadata stays the user's);
 * - the router's objects for the provider, created at 100/0 when missing (weights of an existing
 *   object are setRoutes' business);
 * - the autoscaler copy when spec.autoscalerRef is set (queries rewritten to the copy's name).
 */
export interface Bootstrap {
  kind: 'bootstrap';
}

/**
 * The workload's `davy.dev/stable-revision` annotation equals `revision`; `davy.dev/pending-revision`
 * is removed when it equals `revision`.
 */
export interface RecordStableRevision {
  kind: 'recordStableRevision';
  revision: string;
}

/**
 * The copy runs the workload's template for `revision`: when the workload's current template has
 * that revision, the copy's template becomes it (labels rewritten) and the copy records `revision`
 * (reported back as CopyObservation.revision). When the workload's template is another revision,
 * do nothing: the next step sees the newer revision. Intended only while the copy is up, right
 * before scaleCopy 'match-target', so the runner may give the copy that size in the same write.
 */
export interface SyncCopy {
  kind: 'syncCopy';
  revision: string;
}

/**
 * The copy's size. 'match-target': the workload's spec.replicas (at least 1; a DaemonSet copy is
 * scheduled on the workload's nodes) and the copy's autoscaler active. 0: no pods (a DaemonSet copy
 * gets a node selector that matches no node) and the copy's autoscaler paused.
 */
export interface ScaleCopy {
  kind: 'scaleCopy';
  replicas: 'match-target' | 0;
}

/**
 * The router sends `primary`% of traffic to `<svc>-primary` and `canary`% to `<svc>-canary`, and
 * mirrors primary traffic to the canary when `mirror` (Istio: mirrorWeight %). For A/B specs the
 * weights apply to the route matching analysis.match; other traffic stays on primary. The kubernetes
 * provider has no weights: canary 100 points the apex Service's selector at the copy's pods,
 * anything else at the stable pods (one atomic switch).
 */
export interface SetRoutes {
  kind: 'setRoutes';
  primary: number;
  canary: number;
  mirror: boolean;
  /** Session affinity: the cookies the routes set and match (state.cookies). */
  cookies?: SessionCookies;
}

/**
 * Promotion: when the workload's template revision is `revision` and Davy holds it, release the
 * hold (admission/hold.ts: Deployment `spec.paused` back to what the user had, DaemonSet strategy
 * restored) and remove `davy.dev/held`; the workload then rolls out its own template with its own
 * strategy. When its template is another revision, do nothing: a newer revision stays held.
 */
export interface ReleaseHold {
  kind: 'releaseHold';
  revision: string;
}

/**
 * Deletion: remove what Davy added, keeping traffic on the stable side until routing is gone:
 * routes to 100/0 first; delete the router objects (restoring an adopted one); delete the
 * `-primary`/`-canary` Services and restore an adopted apex Service's selector to the workload's
 * pods; delete the autoscaler copy; release any hold whatever the revision (the workload rolls out
 * its template with its own strategy); remove the `davy.dev/*` label and annotations from the
 * workload; delete the copy last. Partial progress is fine: steps check observations.
 */
export interface Finalize {
  kind: 'finalize';
}

/** Remove `davy.dev/finalizer` from the Canary (the apiserver then deletes it). After finalize. */
export interface RemoveFinalizer {
  kind: 'removeFinalizer';
}

/**
 * A Kubernetes Event on the Canary (component `davy`), and a call to each of the canary's `event`
 * webhooks with Flagger's metadata (eventMessage, eventType, timestamp). At most once: an event
 * lost in a crash is not repeated.
 */
export interface EventAction {
  kind: 'event';
  type: 'Normal' | 'Warning';
  /** Always Flagger's `Synced`, so existing event filters keep working. */
  reason: 'Synced';
  message: string;
}

/**
 * At least once: POST Flagger's payload (name, namespace, phase, checksum, metadata) to the
 * webhook named `hook`. The runner reports `id` in Observations.delivered with the outcome once the
 * call has an answer (2xx or not); until then the entry stays in intent(). Receivers de-duplicate
 * on (revision, phase).
 */
export interface CallHook {
  kind: 'callHook';
  id: string;
  hook: string;
  type: 'post-rollout';
  phase: Phase;
  revision: string;
  checksum: string;
}

/** At least once: notify the canary's alert providers whose severity admits this one; report `id`. */
export interface AlertAction {
  kind: 'alert';
  id: string;
  severity: AlertSeverity;
  message: string;
  phase: Phase;
  revision?: string;
}

/**
 * At least once: POST `event` to the stepper's CloudEvents sink as one CloudEvent whose id derives
 * from the entry (the same on every retry); report `id` once the sink answered 2xx.
 */
export interface CloudEventAction {
  kind: 'cloudEvent';
  id: string;
  event: CloudEventEntry;
}

/** Actions that state a cluster target (the rest are one-shot or at-least-once calls). */
export type TargetAction =
  | AddFinalizer
  | Bootstrap
  | RecordStableRevision
  | SyncCopy
  | ScaleCopy
  | SetRoutes
  | ReleaseHold
  | Finalize
  | RemoveFinalizer;

export type Action = TargetAction | EventAction | CallHook | AlertAction | CloudEventAction;

export type ActionKind = Action['kind'];

/**
 * The absolute targets the state implies, in the order to apply them (copy up before traffic
 * moves to it, traffic off the copy before it scales down, the hold released last), followed by
 * the undelivered outbox. The runner re-applies this on every pass in which it does not step the
 * canary. A suspended canary is left alone (Flagger: suspend stops all reconciliation). For a
 * Canary with a deletionTimestamp the runner applies only what step() returns: step() moves it to
 * Terminating (whose intent is finalize, then removeFinalizer) or, without Davy's finalizer, asks
 * for nothing.
 */
export function intent(state: State, spec: CanarySpec): Action[] {
  return [...targets(state, spec), ...outboxActions(state)];
}

export function targets(state: State, spec: CanarySpec): TargetAction[] {
  if (state.phase === '') return [];
  if (state.phase === 'Terminating') return [{ kind: 'finalize' }, ...(state.finalized ? [{ kind: 'removeFinalizer' as const }] : [])];
  if (spec.suspend === true) return [];
  const list: TargetAction[] = [{ kind: 'addFinalizer' }, { kind: 'bootstrap' }];
  if (state.stableRevision !== undefined) list.push({ kind: 'recordStableRevision', revision: state.stableRevision });
  if (state.copy === 'up' && state.revision !== undefined) {
    list.push({ kind: 'syncCopy', revision: state.revision }, { kind: 'scaleCopy', replicas: 'match-target' });
  }
  list.push({ kind: 'setRoutes', ...state.routes, ...(state.cookies ? { cookies: { ...state.cookies } } : {}) });
  if (state.copy === 'zero') list.push({ kind: 'scaleCopy', replicas: 0 });
  if (state.phase === 'Promoting' && !state.rolledOut && state.revision !== undefined) {
    list.push({ kind: 'releaseHold', revision: state.revision });
  }
  return list;
}

export function outboxActions(state: State): Action[] {
  return state.outbox.map((entry): Action => {
    if (entry.kind === 'hook') {
      const { id, hook, type, phase, revision, checksum } = entry;
      return { kind: 'callHook', id, hook, type, phase, revision, checksum };
    }
    if (entry.kind === 'cloudEvent') return { kind: 'cloudEvent', id: entry.id, event: entry };
    const { id, severity, message, phase, revision } = entry;
    return { kind: 'alert', id, severity, message, phase, ...(revision === undefined ? {} : { revision }) };
  });
}
