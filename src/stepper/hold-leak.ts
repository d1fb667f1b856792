// A held DaemonSet that leaks (issue 11, finding 5). Davy holds a DaemonSet with
// `updateStrategy: OnDelete`, which stops the controller from replacing running pods but not from
// creating pods: a pod deleted or evicted, and a pod for a new node, is created from the
// DaemonSet's current template, which is the revision under analysis (or, after a rollback, the
// failed one). Kubernetes offers no field that makes a DaemonSet create pods from an older
// template, and Davy never writes the user's template, so the leak cannot be prevented; it is
// detected, recorded in the state (so it is reported once per change, not once per pass),
// reported as a Warning event and as the `HoldLeaked` condition, and undone when the hold ends:
// promotion rolls every pod to the promoted revision, and a revert to the stable template (which a
// rollback asks the user for) releases the hold and lets the controller replace the leaked pods.
//
// The DaemonSet's own status counts them: `updatedNumberScheduled` is the number of nodes running
// a pod of the current template, which under the hold is the unanalysed revision.

import type { EventAction } from './actions.js';
import type { Observations } from './observations.js';
import type { HoldLeak, State } from './state.js';

/** The leak the observations show, without its start time; undefined when there is none. */
export function observedLeak(obs: Observations): Omit<HoldLeak, 'since'> | undefined {
  const { target } = obs;
  const readiness = target.readiness;
  if (!target.exists || target.kind !== 'DaemonSet' || !target.held || readiness === undefined) return undefined;
  const revision = target.templateRevision;
  const stable = target.stableRevision;
  if (revision === undefined || stable === undefined || revision === stable) return undefined;
  // A status not yet computed for this template says nothing about which pods run it.
  if (readiness.observedGeneration < readiness.generation || readiness.updated <= 0) return undefined;
  return { revision, pods: readiness.updated, desired: readiness.desired };
}

const same = (a: Omit<HoldLeak, 'since'> | undefined, b: Omit<HoldLeak, 'since'> | undefined): boolean =>
  a?.revision === b?.revision && a?.pods === b?.pods && a?.desired === b?.desired;

/** Whether the recorded leak differs from the observed one (something new for step()). */
export const leakChanged = (state: State, obs: Observations): boolean => !same(state.holdLeak, observedLeak(obs));

/** Whether `revision` is the one a rollback ended: the pods run a revision that failed analysis. */
const rolledBack = (state: State, revision: string): boolean => state.phase === 'Failed' && state.revision === revision;

/** The sentence for the event and the condition. */
export function leakMessage(state: State, leak: Omit<HoldLeak, 'since'>, target: string): string {
  const what = rolledBack(state, leak.revision) ? `the rolled-back revision ${leak.revision}` : `revision ${leak.revision}, not yet promoted`;
  const undo = rolledBack(state, leak.revision)
    ? `revert the template (kubectl rollout undo daemonset/${target.split('.')[0] ?? target}) to replace them`
    : 'promotion or a revert replaces them';
  return `DaemonSet ${target} is held but ${leak.pods} of ${leak.desired} pods run ${what}: ` +
    `under OnDelete a deleted, evicted or new node's pod is created from the current template; ${undo}`;
}

export const leakReason = (state: State, revision: string): string => (rolledBack(state, revision) ? 'RolledBackRevisionRunning' : 'UnanalysedRevisionRunning');

/**
 * The state with the observed leak recorded and the event to emit, or undefined when the record
 * is current. `target` is `<name>.<namespace>`, `at` the step's time.
 */
export function noteHoldLeak(
  state: State, obs: Observations, target: string, at: string,
): { state: State; events: EventAction[] } | undefined {
  const leak = observedLeak(obs);
  const recorded = state.holdLeak;
  if (same(recorded, leak)) return undefined;
  const next: State = { ...state };
  if (leak === undefined) {
    delete next.holdLeak;
    const message = `DaemonSet ${target}: no pod runs revision ${recorded?.revision ?? '?'} under the hold any more`;
    return { state: next, events: [{ kind: 'event', type: 'Normal', reason: 'Synced', message }] };
  }
  next.holdLeak = { ...leak, since: recorded?.revision === leak.revision ? recorded.since : at };
  return { state: next, events: [{ kind: 'event', type: 'Warning', reason: 'Synced', message: leakMessage(next, leak, target) }] };
}
