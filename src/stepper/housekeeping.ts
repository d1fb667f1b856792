// What every step looks at before the phase's own work: deletion through Davy's finalizer,
// suspension, and the outbox entries the runner delivered.

import { FINALIZER } from '../api/keys.js';
import * as ev from './events.js';
import { transition, emit, waitFor, type Tick } from './tick.js';

/** The Canary is being deleted and Davy's finalizer is on it: finalization owns the step. */
export const deleting = (t: Pick<Tick, 'ctx'>): boolean =>
  t.ctx.obs.canary.deletionTimestamp !== undefined && t.ctx.obs.canary.finalizers.includes(FINALIZER);

/** Davy's objects are gone from the cluster: the copy, the label and the hold. */
function finalized(t: Tick): boolean {
  const { target, copy } = t.ctx.obs;
  return !copy.exists && (!target.exists || (!target.labeled && !target.held));
}

/**
 * Deletion: Terminating, then the finalize target (intent) until the cluster shows Davy's objects
 * gone, then the removeFinalizer target. The deadline keeps a Canary from being undeletable.
 * Returns true when deletion owns this step (also when the object goes without Davy's finalizer).
 */
export function deletionTick(t: Tick): boolean {
  const { obs, names } = t.ctx;
  if (obs.canary.deletionTimestamp === undefined) return false;
  if (!deleting(t)) return true;
  if (t.state.phase !== 'Terminating') {
    transition(t, 'Terminating', 'Deleted');
    emit(t, ev.terminating(names.c));
    const pending = obs.target.templateRevision;
    if (obs.target.held && pending !== undefined) emit(t, ev.holdReleasedOnDeletion(names.t, pending));
  }
  if (t.state.finalized) return true;
  if (finalized(t)) {
    t.state.finalized = true;
    emit(t, ev.terminated(names.c));
  } else if (waitFor(t, 'finalize', `removing Davy's objects for ${names.t}`) === 'expired') {
    t.state.finalized = true;
    emit(t, ev.finalizeTimedOut(names.c));
  }
  return true;
}

/**
 * spec.suspend: nothing is decided and nothing is reconciled (intent is empty), only reported once.
 * On resume, waits start over so a suspension never counts against a deadline.
 */
export function suspendTick(t: Tick): boolean {
  if (t.ctx.spec.suspend === true) {
    if (!t.state.suspended) {
      t.state.suspended = true;
      emit(t, ev.suspended());
    }
    return true;
  }
  if (t.state.suspended) {
    delete t.state.suspended;
    emit(t, ev.unsuspended(t.ctx.names.c));
    if (t.state.wait) t.state.wait = { ...t.state.wait, since: t.ctx.at };
  }
  return false;
}

/** Drops delivered outbox entries; a post-rollout hook's answer becomes Flagger's event. */
export function acknowledge(t: Tick): void {
  const delivered = t.ctx.obs.delivered ?? [];
  if (delivered.length === 0) return;
  const answers = new Map(delivered.map((d) => [d.id, d.result]));
  const kept = [];
  for (const entry of t.state.outbox) {
    const result = answers.get(entry.id);
    if (result === undefined) {
      kept.push(entry);
      continue;
    }
    if (entry.kind === 'hook') {
      emit(t, result.ok ? ev.postRolloutPassed(entry.hook) : ev.postRolloutFailed(entry.hook, result.message));
    }
  }
  t.state.outbox = kept;
}

/** Whether any delivered id is still in the outbox (so the step has something to record). */
export const hasDeliveries = (t: Pick<Tick, 'ctx' | 'state'>): boolean =>
  (t.ctx.obs.delivered ?? []).some((d) => t.state.outbox.some((e) => e.id === d.id));
