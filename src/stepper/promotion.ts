// The ends of a run: promotion (release the hold, wait for the user's workload to roll out, record
// the stable revision, route back to primary, scale the copy down) and rollback (route to primary,
// scale the copy down; the user's pods never changed and the hold stays).

import type { AlertSeverity } from '../api/types.js';
import * as ev from './events.js';
import { copyReadiness, targetRolledOut } from './readiness.js';
import { STABLE_ROUTES, type Reason, type State } from './state.js';
import { alert, clearWait, emit, postRollout, resetRun, transition, waitFor, type Tick } from './tick.js';
import { gradualPromotion, nextPrimaryWeight, split } from './weights.js';

export interface RollbackCause {
  reason: Reason;
  /** For people: recorded with the transition and in the failure alert. */
  message: string;
  alert?: { severity: AlertSeverity; message: string };
}

/**
 * Routes everything to primary and the copy to zero, then Failed. The caller has emitted the event
 * that says why; every rollback alerts (Flagger alerts only on some, user-asks #5).
 */
export function rollback(t: Tick, cause: RollbackCause): void {
  t.state.routes = { ...STABLE_ROUTES };
  t.state.copy = 'zero';
  transition(t, 'Failed', cause.reason, cause.message);
  emit(t, ev.canaryFailed(t.ctx.names.c));
  const a = cause.alert ?? { severity: 'error' as const, message: ev.alerts.failed(cause.message) };
  alert(t, a.severity, a.message);
  postRollout(t);
}

export function thresholdRollback(t: Tick): void {
  const n = t.state.failedChecks;
  emit(t, ev.rollingBackThreshold(t.ctx.names.c, n));
  rollback(t, {
    reason: 'FailedChecksThreshold',
    message: `${n} failed checks (threshold ${t.ctx.a.threshold})`,
    alert: { severity: 'error', message: ev.alerts.thresholdReached(n) },
  });
}

/** A wait on the cluster outlived progressDeadlineSeconds during analysis. */
export function deadlineRollback(t: Tick, reason: Reason, detail: string): void {
  emit(t, ev.rollingBackDeadline(t.ctx.names.c, detail));
  rollback(t, { reason, message: `progress deadline exceeded: ${detail}`, alert: { severity: 'error', message: ev.alerts.deadline(detail) } });
}

/** Where a canary rests when a run is cancelled: Succeeded once anything was promoted. */
export const restPhase = (state: State): 'Succeeded' | 'Initialized' => (state.lastPromotion ? 'Succeeded' : 'Initialized');

/**
 * The user reverted the workload's template to the stable revision: the webhook has released the
 * hold with no pod churn (the current ReplicaSet already matches), so the run is simply over.
 */
export function revert(t: Tick): void {
  const { state } = t;
  const stable = state.stableRevision ?? '';
  emit(t, ev.reverted(t.ctx.names.t, state.revision ?? '', stable));
  state.routes = { ...STABLE_ROUTES };
  state.copy = 'zero';
  state.revision = stable;
  state.trackedConfigs = { ...state.stableConfigs };
  resetRun(state);
  transition(t, restPhase(state), 'Reverted', `reverted to the stable revision ${stable}`);
}

/**
 * Starts the promotion of the run's revision. Blue/green first moves all traffic to the copy (the
 * kubernetes provider's selector switch) when the copy is ready; a weighted canary keeps its weight
 * while the user's workload rolls out. Then the hold is released.
 */
export function startPromotion(t: Tick, reason: 'AnalysisPassed' | 'SkipAnalysis' | 'PromoteAction'): void {
  const { a, names, obs } = t.ctx;
  const { state } = t;
  const copyReady = state.copy === 'up' && copyReadiness(names.copy, obs.copy, state.revision, a.canaryReadyThreshold).ready;
  if (a.strategy === 'blue-green' && copyReady) {
    emit(t, state.routes.mirror ? ev.stopMirroringToCanary() : ev.routingAllToCanary());
    state.routes = split(100);
  } else if (state.routes.mirror) {
    state.routes = { ...state.routes, mirror: false };
  }
  emit(t, ev.releasingHold(names.t, state.revision ?? ''));
  state.rolledOut = false;
  transition(t, 'Promoting', reason);
}

/** Promoting, each interval: wait for the workload's rollout, then move traffic back to primary. */
export function promotingTick(t: Tick): void {
  const { a, names, obs } = t.ctx;
  const { state } = t;
  const revision = state.revision ?? '';
  if (!state.rolledOut) {
    const r = targetRolledOut(names.t, obs.target, revision, a.primaryReadyThreshold);
    if (!r.ready) {
      if (r.final) return failPromotion(t, r.detail);
      if (waitFor(t, 'targetRollout', r.detail, (m) => ev.waitingRollout(names.t, m)) === 'expired') {
        failPromotion(t, `progress deadline exceeded: ${r.detail}`);
      }
      return;
    }
    clearWait(t);
    state.rolledOut = true;
    state.stableRevision = revision;
    state.stableConfigs = { ...state.trackedConfigs };
    state.lastPromotion = { revision, at: t.ctx.at };
  }
  routeBack(t);
}

function routeBack(t: Tick): void {
  const { a, names } = t.ctx;
  const { state } = t;
  if (gradualPromotion(a) && state.routes.canary > 0) {
    const next = nextPrimaryWeight(a.promotionWeights, state.routes.primary);
    if (next !== undefined && next < 100) {
      state.routes = split(100 - next);
      emit(t, ev.advancePrimaryWeight(names.c, next));
      return;
    }
  }
  const moved = state.routes.canary > 0 || state.routes.mirror;
  if (moved) emit(t, ev.routingAllToPrimary());
  state.routes = { ...STABLE_ROUTES };
  // Nothing ran in the copy (skipAnalysis): no traffic to drain, so the run ends now.
  if (!moved && state.copy === 'zero') return finish(t);
  transition(t, 'Finalising', 'RolloutComplete');
}

/** Finalising, an interval after traffic left the copy: scale it down and report success. */
export function finish(t: Tick): void {
  const { names } = t.ctx;
  const skipped = lastReasonInto(t.state, 'Promoting') === 'SkipAnalysis';
  t.state.copy = 'zero';
  t.state.routes = { ...STABLE_ROUTES };
  transition(t, 'Succeeded', 'PromotionComplete');
  emit(t, skipped ? ev.promotionCompletedSkipped(names.t) : ev.promotionCompleted(names.t));
  alert(t, 'info', skipped ? ev.alerts.skipped : ev.alerts.completed);
  postRollout(t);
}

/**
 * The user's workload did not finish rolling out the promoted revision. As Flagger 1.44 does, all
 * traffic goes to the copy, which runs that revision and passed analysis, and the copy stays up;
 * `davy retry` waits for the rollout again, a revert or a new revision moves on.
 */
export function failPromotion(t: Tick, detail: string): void {
  const { names } = t.ctx;
  if (t.state.copy === 'up') t.state.routes = split(100);
  emit(t, ev.promotionFailed(names.t, detail));
  alert(t, 'error', ev.alerts.promotionFailed(detail));
  transition(t, 'Failed', 'PromotionFailed', detail);
  postRollout(t);
}

function lastReasonInto(state: State, phase: State['phase']): Reason | undefined {
  for (let i = state.transitions.length - 1; i >= 0; i -= 1) {
    const record = state.transitions[i];
    if (record?.to === phase) return record.reason;
  }
  return undefined;
}
