// Progressing and WaitingPromotion, each interval (flagger-compat §3.2 steps 17-25): the copy's
// readiness, rollback hooks, the failed-check threshold, then either the first step (pre-rollout
// hooks) or rollout hooks and metrics, then the strategy's step: a weight, an iteration, or the
// promotion gate.

import type { EffectiveWebhook } from '../api/defaults.js';
import { combine, judgeMetric, metricOrder, type MetricOutcome } from './analysis.js';
import type { EventAction } from './actions.js';
import * as ev from './events.js';
import { gate, rollbackSignal } from './checks.js';
import { deadlineRollback, rollback, startPromotion, thresholdRollback } from './promotion.js';
import { copyReadiness } from './readiness.js';
import type { WaitKind } from './state.js';
import { alert, clearWait, emit, recordCheck, transition, waitFor, type Tick } from './tick.js';
import { abRoutes, atMaxWeight, mirrorsFirst, mirrorsIterations, nextWeight, split } from './weights.js';

export function analysisTick(t: Tick): void {
  const { a, names, obs } = t.ctx;
  if (!obs.target.exists) {
    if (waitFor(t, 'target', names.t, ev.waitingTarget) === 'expired') deadlineRollback(t, 'ProgressDeadline', `${names.t} does not exist`);
    return;
  }
  const ready = copyReadiness(names.copy, obs.copy, t.state.revision, a.canaryReadyThreshold);
  if (!ready.ready) {
    if (ready.final) return deadlineRollback(t, 'CanaryNotReady', ready.detail);
    const waited = waitFor(t, 'copyReady', ready.detail, (m) => ev.waitingRollout(names.copy, m));
    if (waited === 'expired') deadlineRollback(t, 'ProgressDeadline', `${names.copy} not ready: ${ready.detail}`);
    return;
  }
  clearWait(t, 'copyReady', 'target');
  if (rollbackHooks(t)) return;
  if (t.state.failedChecks >= a.threshold) return thresholdRollback(t);
  if (!t.state.analysisStarted) {
    emit(t, ev.startingAnalysis(names.t));
    const pre = gate(t, 'pre-rollout', 'Progressing');
    if (!pre.ok) return failedCheck(t, ev.preRolloutFailed(names.c, pre.hook.name, pre.message));
    for (const hook of pre.passed) emit(t, ev.preRolloutPassed(hook.name));
    t.state.analysisStarted = true;
  } else {
    const rollout = gate(t, 'rollout', 'Progressing');
    if (!rollout.ok) return failedCheck(t, ev.externalCheckFailed(names.c, rollout.hook.name, rollout.message));
    const verdict = metrics(t);
    if (verdict.kind === 'fail') return failedCheck(t, { kind: 'event', type: 'Warning', reason: 'Synced', message: verdict.message });
    if (verdict.kind === 'hold') {
      if (waitFor(t, 'noData', verdict.message, ev.noDataHold) === 'expired') deadlineRollback(t, 'NoDataDeadline', verdict.message);
      return;
    }
  }
  clearWait(t, 'noData');
  advance(t);
}

/** True when a rollback hook asked for a rollback (and it happened). */
function rollbackHooks(t: Tick): boolean {
  const { signaled, quiet } = rollbackSignal(t);
  for (const hook of quiet) emit(t, ev.rollbackHookNotSignaling(hook.name));
  if (!signaled) return false;
  emit(t, ev.rollbackCheckPassed(signaled.name));
  emit(t, ev.rollingBackWebhook(t.ctx.names.c));
  rollback(t, { reason: 'RollbackHook', message: `rollback hook ${signaled.name} signaled a rollback`, alert: { severity: 'warn', message: ev.alerts.rollbackWebhook } });
  return true;
}

/** One failed check: counted, reported, and a rollback as soon as the threshold is reached. */
function failedCheck(t: Tick, event: EventAction): void {
  t.state.failedChecks += 1;
  emit(t, event);
  if (t.state.failedChecks >= t.ctx.a.threshold) thresholdRollback(t);
}

function metrics(t: Tick): MetricOutcome {
  const { a, names, at } = t.ctx;
  const judge = { c: names.c, copy: names.copy, observer: a.observer, at, ...(t.state.revision ? { revision: t.state.revision } : {}) };
  const outcomes = metricOrder(a.metrics).map((m) => judgeMetric(m, t.checker.metric(m), judge));
  for (const outcome of outcomes) recordCheck(t, outcome.record);
  return combine(outcomes);
}

/** The strategy's step, unless `davy pause` holds it. */
function advance(t: Tick): void {
  const { a, names } = t.ctx;
  if (t.state.paused) {
    const by = t.state.paused.by ?? 'unknown';
    if (waitFor(t, 'paused', by, (who) => ev.pausedHold(names.c, who)) === 'expired') {
      rollback(t, { reason: 'PauseTimeout', message: `paused by ${by} for longer than the wait limit` });
    }
    return;
  }
  if (a.strategy === 'canary') return advanceWeight(t);
  const routes = a.strategy === 'ab-testing' ? abRoutes(a) : split(0, mirrorsIterations(a));
  if (t.state.iterations < a.iterations) {
    t.state.iterations += 1;
    t.state.routes = routes;
    emit(t, ev.advanceIteration(names.c, t.state.iterations, a.iterations));
    return;
  }
  promotionGate(t);
}

function advanceWeight(t: Tick): void {
  const { a, names } = t.ctx;
  const routes = t.state.routes;
  if (mirrorsFirst(a) && routes.canary === 0 && !routes.mirror) {
    t.state.routes = split(0, true);
    emit(t, ev.startMirroring(names.c, names.copy));
    return;
  }
  if (atMaxWeight(a, routes.canary)) return promotionGate(t);
  const approval = gate(t, 'confirm-traffic-increase', 'Progressing');
  if (!approval.ok) {
    const hook = approval.hook;
    return awaitPeople(t, 'trafficApproval', hook, ev.waitingTrafficApproval(names.c, hook.name), ev.alerts.waitingTrafficApproval);
  }
  clearWait(t, 'trafficApproval');
  for (const hook of approval.passed) emit(t, ev.confirmTrafficIncreasePassed(hook.name));
  // Never above maxWeight, even on a stepWeights list that is not ascending (the validator refuses those).
  const next = Math.min(nextWeight(a.weights, routes.canary) ?? a.maxWeight, a.maxWeight);
  t.state.routes = split(next);
  emit(t, ev.advanceWeight(names.c, next));
}

function promotionGate(t: Tick): void {
  const { names } = t.ctx;
  const approval = gate(t, 'confirm-promotion', 'Progressing');
  if (!approval.ok) {
    if (t.state.phase !== 'WaitingPromotion') transition(t, 'WaitingPromotion', 'AwaitingPromotionApproval', approval.hook.name);
    const hook = approval.hook;
    return awaitPeople(t, 'promotionApproval', hook, ev.waitingPromotionApproval(names.c, hook.name), ev.alerts.waitingPromotionApproval);
  }
  for (const hook of approval.passed) emit(t, ev.confirmPromotionPassed(hook.name));
  startPromotion(t, 'AnalysisPassed');
}

/**
 * A gate said no: wait for people. The event and the alert (unless the hook mutes it) go out once
 * per wait; past humanWaitTimeoutMs the run fails.
 */
export function awaitPeople(t: Tick, kind: WaitKind, hook: EffectiveWebhook, event: EventAction, alertMessage: string): void {
  const first = t.state.wait?.kind !== kind;
  const waited = waitFor(t, kind, hook.name, () => event);
  if (first && !hook.muteAlert) alert(t, 'warn', alertMessage);
  if (waited === 'expired') {
    emit(t, ev.approvalExpired(t.ctx.names.c, `(${hook.name})`));
    rollback(t, { reason: 'ApprovalTimeout', message: `webhook ${hook.name} did not approve in time` });
  }
}
