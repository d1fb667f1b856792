// The ends of a run: promotion (release the hold, wait for the user's workload to roll out, record
// the stable revision, route back to primary, scale the copy down) and rollback (route to primary,
// scale the copy down; the user's pods never changed and the hold stays).

import type { AlertSeverity } from '../api/types.js';
import * as events from './events.js';
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
export function rollback(tick: Tick, cause: RollbackCause): void {
  tick.state.routes = { ...STABLE_ROUTES };
  tick.state.copy = 'zero';
  transition(tick, 'Failed', cause.reason, cause.message);
  emit(tick, events.canaryFailed(tick.ctx.names.canary));
  const a = cause.alert ?? { severity: 'error' as const, message: events.alerts.failed(cause.message) };
  alert(tick, a.severity, a.message);
  postRollout(tick);
}

export function thresholdRollback(tick: Tick): void {
  const n = tick.state.failedChecks;
  emit(tick, events.rollingBackThreshold(tick.ctx.names.canary, n));
  rollback(tick, {
    reason: 'FailedChecksThreshold',
    message: `${n} failed checks (threshold ${tick.ctx.analysis.threshold})`,
    alert: { severity: 'error', message: events.alerts.thresholdReached(n) },
  });
}

/** A wait on the cluster outlived progressDeadlineSeconds during analysis. */
export function deadlineRollback(tick: Tick, reason: Reason, detail: string): void {
  emit(tick, events.rollingBackDeadline(tick.ctx.names.canary, detail));
  rollback(tick, { reason, message: `progress deadline exceeded: ${detail}`, alert: { severity: 'error', message: events.alerts.deadline(detail) } });
}

/** Where a canary rests when a run is cancelled: Succeeded once anything was promoted. */
export const restPhase = (state: State): 'Succeeded' | 'Initialized' => (state.lastPromotion ? 'Succeeded' : 'Initialized');

/**
 * The user reverted the workload's template to the stable revision: the webhook has released the
 * hold with no pod churn (the current ReplicaSet already matches), so the run is simply over.
 */
export function revert(tick: Tick): void {
  const { state } = tick;
  const stable = state.stableRevision ?? '';
  emit(tick, events.reverted(tick.ctx.names.target, state.revision ?? '', stable));
  state.routes = { ...STABLE_ROUTES };
  state.copy = 'zero';
  state.revision = stable;
  state.trackedConfigs = { ...state.stableConfigs };
  resetRun(state);
  transition(tick, restPhase(state), 'Reverted', `reverted to the stable revision ${stable}`);
}

/**
 * Starts the promotion of the run's revision. Blue/green first moves all traffic to the copy (the
 * kubernetes provider's selector switch) when the copy is ready; a weighted canary keeps its weight
 * while the user's workload rolls out. Then the hold is released.
 */
export function startPromotion(tick: Tick, reason: 'AnalysisPassed' | 'SkipAnalysis' | 'PromoteAction'): void {
  const { analysis, names, obs } = tick.ctx;
  const { state } = tick;
  const copyReady = state.copy === 'up' && copyReadiness(names.copy, obs.copy, state.revision, analysis.canaryReadyThreshold).ready;
  if (analysis.strategy === 'blue-green' && copyReady) {
    emit(tick, state.routes.mirror ? events.stopMirroringToCanary() : events.routingAllToCanary());
    state.routes = split(100);
  } else if (state.routes.mirror) {
    state.routes = { ...state.routes, mirror: false };
  }
  emit(tick, events.releasingHold(names.target, state.revision ?? ''));
  state.rolledOut = false;
  transition(tick, 'Promoting', reason);
}

/** Promoting, each interval: wait for the workload's rollout, then move traffic back to primary. */
export function promotingTick(tick: Tick): void {
  const { analysis, names, obs } = tick.ctx;
  const { state } = tick;
  const revision = state.revision ?? '';
  if (!state.rolledOut) {
    const r = targetRolledOut(names.target, obs.target, revision, analysis.primaryReadyThreshold);
    if (!r.ready) {
      if (r.final) return failPromotion(tick, r.detail);
      if (waitFor(tick, 'targetRollout', r.detail, (m) => events.waitingRollout(names.target, m)) === 'expired') {
        failPromotion(tick, `progress deadline exceeded: ${r.detail}`);
      }
      return;
    }
    clearWait(tick);
    state.rolledOut = true;
    state.stableRevision = revision;
    state.stableConfigs = { ...state.trackedConfigs };
    state.lastPromotion = { revision, at: tick.ctx.at };
  }
  routeBack(tick);
}

function routeBack(tick: Tick): void {
  const { analysis, names } = tick.ctx;
  const { state } = tick;
  if (gradualPromotion(analysis) && state.routes.canary > 0) {
    const next = nextPrimaryWeight(analysis.promotionWeights, state.routes.primary);
    if (next !== undefined && next < 100) {
      state.routes = split(100 - next);
      emit(tick, events.advancePrimaryWeight(names.canary, next));
      return;
    }
  }
  const moved = state.routes.canary > 0 || state.routes.mirror;
  if (moved) emit(tick, events.routingAllToPrimary());
  state.routes = { ...STABLE_ROUTES };
  // Nothing ran in the copy (skipAnalysis): no traffic to drain, so the run ends now.
  if (!moved && state.copy === 'zero') return finish(tick);
  transition(tick, 'Finalising', 'RolloutComplete');
}

/** Finalising, an interval after traffic left the copy: scale it down and report success. */
export function finish(tick: Tick): void {
  const { names } = tick.ctx;
  const skipped = lastReasonInto(tick.state, 'Promoting') === 'SkipAnalysis';
  tick.state.copy = 'zero';
  tick.state.routes = { ...STABLE_ROUTES };
  transition(tick, 'Succeeded', 'PromotionComplete');
  emit(tick, skipped ? events.promotionCompletedSkipped(names.target) : events.promotionCompleted(names.target));
  alert(tick, 'info', skipped ? events.alerts.skipped : events.alerts.completed);
  postRollout(tick);
}

/**
 * The user's workload did not finish rolling out the promoted revision. As Flagger 1.44 does, all
 * traffic goes to the copy, which runs that revision and passed analysis, and the copy stays up;
 * `davy retry` waits for the rollout again, a revert or a new revision moves on.
 */
export function failPromotion(tick: Tick, detail: string): void {
  const { names } = tick.ctx;
  if (tick.state.copy === 'up') tick.state.routes = split(100);
  emit(tick, events.promotionFailed(names.target, detail));
  alert(tick, 'error', events.alerts.promotionFailed(detail));
  transition(tick, 'Failed', 'PromotionFailed', detail);
  postRollout(tick);
}

function lastReasonInto(state: State, phase: State['phase']): Reason | undefined {
  for (let i = state.transitions.length - 1; i >= 0; i -= 1) {
    const record = state.transitions[i];
    if (record?.to === phase) return record.reason;
  }
  return undefined;
}
