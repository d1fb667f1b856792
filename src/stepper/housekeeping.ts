// What every step looks at before the phase's own work: deletion through Davy's finalizer,
// suspension, and the outbox entries the runner delivered.

import { FINALIZER } from '../api/keys.js';
import * as events from './events.js';
import { transition, emit, waitFor, type Tick } from './tick.js';

/** The Canary is being deleted and Davy's finalizer is on it: finalization owns the step. */
export const deleting = (tick: Pick<Tick, 'ctx'>): boolean =>
  tick.ctx.obs.canary.deletionTimestamp !== undefined && tick.ctx.obs.canary.finalizers.includes(FINALIZER);

/** Davy's objects are gone from the cluster: the copy, the label and the hold. */
function finalized(tick: Tick): boolean {
  const { target, copy } = tick.ctx.obs;
  return !copy.exists && (!target.exists || (!target.labeled && !target.held));
}

/**
 * Deletion: Terminating, then the finalize target (intent) until the cluster shows Davy's objects
 * gone, then the removeFinalizer target. The deadline keeps a Canary from being undeletable.
 * Returns true when deletion owns this step (also when the object goes without Davy's finalizer).
 */
export function deletionTick(tick: Tick): boolean {
  const { obs, names } = tick.ctx;
  if (obs.canary.deletionTimestamp === undefined) return false;
  if (!deleting(tick)) return true;
  if (tick.state.phase !== 'Terminating') {
    transition(tick, 'Terminating', 'Deleted');
    emit(tick, events.terminating(names.canary));
    const pending = obs.target.templateRevision;
    if (obs.target.held && pending !== undefined) emit(tick, events.holdReleasedOnDeletion(names.target, pending));
  }
  if (tick.state.finalized) return true;
  if (finalized(tick)) {
    tick.state.finalized = true;
    emit(tick, events.terminated(names.canary));
  } else if (waitFor(tick, 'finalize', `removing Davy's objects for ${names.target}`) === 'expired') {
    tick.state.finalized = true;
    emit(tick, events.finalizeTimedOut(names.canary));
  }
  return true;
}

/**
 * spec.suspend: nothing is decided and nothing is reconciled (intent is empty), only reported once.
 * On resume, waits start over so a suspension never counts against a deadline.
 */
export function suspendTick(tick: Tick): boolean {
  if (tick.ctx.spec.suspend === true) {
    if (!tick.state.suspended) {
      tick.state.suspended = true;
      emit(tick, events.suspended());
    }
    return true;
  }
  if (tick.state.suspended) {
    delete tick.state.suspended;
    emit(tick, events.unsuspended(tick.ctx.names.canary));
    if (tick.state.wait) tick.state.wait = { ...tick.state.wait, since: tick.ctx.at };
  }
  return false;
}

/** Drops delivered outbox entries; a post-rollout hook's answer becomes Flagger's event. */
export function acknowledge(tick: Tick): void {
  const delivered = tick.ctx.obs.delivered ?? [];
  if (delivered.length === 0) return;
  const answers = new Map(delivered.map((d) => [d.id, d.result]));
  const kept = [];
  for (const entry of tick.state.outbox) {
    const result = answers.get(entry.id);
    if (result === undefined) {
      kept.push(entry);
      continue;
    }
    if (entry.kind === 'hook') {
      const { hook } = entry;
      emit(tick, result.ok ? events.postRolloutPassed(hook) : events.postRolloutFailed(hook, result.message));
    }
  }
  tick.state.outbox = kept;
}

/** Whether any delivered id is still in the outbox (so the step has something to record). */
export const hasDeliveries = (tick: Pick<Tick, 'ctx' | 'state'>): boolean =>
  (tick.ctx.obs.delivered ?? []).some((d) => tick.state.outbox.some((e) => e.id === d.id));
