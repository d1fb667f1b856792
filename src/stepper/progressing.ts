// Progressing and WaitingPromotion, each interval (flagger-compat §3.2 steps 17-25): the copy's
// readiness, rollback hooks, the failed-check threshold, then either the first step (pre-rollout
// hooks) or rollout hooks and metrics, then the strategy's step: a weight, an iteration, or the
// promotion gate.

import type { EffectiveWebhook } from '../api/defaults.js';
import { combine, judgeMetric, metricOrder, type MetricOutcome } from './analysis.js';
import type { EventAction } from './actions.js';
import * as events from './events.js';
import { gate, rollbackSignal } from './checks.js';
import { deadlineRollback, rollback, startPromotion, thresholdRollback } from './promotion.js';
import { copyReadiness } from './readiness.js';
import type { WaitKind } from './state.js';
import { alert, clearWait, emit, recordCheck, transition, waitFor, type Tick } from './tick.js';
import { abRoutes, atMaxWeight, mirrorsFirst, mirrorsIterations, nextWeight, split } from './weights.js';

export function analysisTick(tick: Tick): void {
  const { analysis, names, obs } = tick.ctx;
  if (!obs.target.exists) {
    if (waitFor(tick, 'target', names.target, events.waitingTarget) === 'expired') deadlineRollback(tick, 'ProgressDeadline', `${names.target} does not exist`);
    return;
  }
  const ready = copyReadiness(names.copy, obs.copy, tick.state.revision, analysis.canaryReadyThreshold);
  if (!ready.ready) {
    if (ready.final) return deadlineRollback(tick, 'CanaryNotReady', ready.detail);
    const waited = waitFor(tick, 'copyReady', ready.detail, (m) => events.waitingRollout(names.copy, m));
    if (waited === 'expired') deadlineRollback(tick, 'ProgressDeadline', `${names.copy} not ready: ${ready.detail}`);
    return;
  }
  clearWait(tick, 'copyReady', 'target');
  if (rollbackHooks(tick)) return;
  if (tick.state.failedChecks >= analysis.threshold) return thresholdRollback(tick);
  if (!tick.state.analysisStarted) {
    emit(tick, events.startingAnalysis(names.target));
    const pre = gate(tick, 'pre-rollout', 'Progressing');
    if (!pre.ok) return failedCheck(tick, events.preRolloutFailed(names.canary, pre.hook.name, pre.message));
    for (const hook of pre.passed) emit(tick, events.preRolloutPassed(hook.name));
    tick.state.analysisStarted = true;
  } else {
    const rollout = gate(tick, 'rollout', 'Progressing');
    if (!rollout.ok) {
      return failedCheck(tick, events.externalCheckFailed(names.canary, rollout.hook.name, rollout.message));
    }
    const verdict = metrics(tick);
    if (verdict.kind === 'fail') return failedCheck(tick, { kind: 'event', type: 'Warning', reason: 'Synced', message: verdict.message });
    if (verdict.kind === 'hold') {
      if (waitFor(tick, 'noData', verdict.message, events.noDataHold) === 'expired') deadlineRollback(tick, 'NoDataDeadline', verdict.message);
      return;
    }
  }
  clearWait(tick, 'noData');
  advance(tick);
}

/** True when a rollback hook asked for a rollback (and it happened). */
function rollbackHooks(tick: Tick): boolean {
  const { signaled, quiet } = rollbackSignal(tick);
  for (const hook of quiet) emit(tick, events.rollbackHookNotSignaling(hook.name));
  if (!signaled) return false;
  emit(tick, events.rollbackCheckPassed(signaled.name));
  emit(tick, events.rollingBackWebhook(tick.ctx.names.canary));
  rollback(tick, { reason: 'RollbackHook', message: `rollback hook ${signaled.name} signaled a rollback`, alert: { severity: 'warn', message: events.alerts.rollbackWebhook } });
  return true;
}

/** One failed check: counted, reported, and a rollback as soon as the threshold is reached. */
function failedCheck(tick: Tick, event: EventAction): void {
  tick.state.failedChecks += 1;
  emit(tick, event);
  if (tick.state.failedChecks >= tick.ctx.analysis.threshold) thresholdRollback(tick);
}

function metrics(tick: Tick): MetricOutcome {
  const { analysis, names, at } = tick.ctx;
  const revision = tick.state.revision ? { revision: tick.state.revision } : {};
  const judge = { c: names.canary, copy: names.copy, observer: analysis.observer, at, ...revision };
  const outcomes = metricOrder(analysis.metrics).map((m) => judgeMetric(m, tick.checker.metric(m), judge));
  for (const outcome of outcomes) recordCheck(tick, outcome.record);
  return combine(outcomes);
}

/** The strategy's step, unless `davy pause` holds it. */
function advance(tick: Tick): void {
  const { analysis, names } = tick.ctx;
  if (tick.state.paused) {
    const by = tick.state.paused.by ?? 'unknown';
    if (waitFor(tick, 'paused', by, (who) => events.pausedHold(names.canary, who)) === 'expired') {
      rollback(tick, { reason: 'PauseTimeout', message: `paused by ${by} for longer than the wait limit` });
    }
    return;
  }
  if (analysis.strategy === 'canary') return advanceWeight(tick);
  const routes = analysis.strategy === 'ab-testing' ? abRoutes(analysis) : split(0, mirrorsIterations(analysis));
  if (tick.state.iterations < analysis.iterations) {
    tick.state.iterations += 1;
    tick.state.routes = routes;
    emit(tick, events.advanceIteration(names.canary, tick.state.iterations, analysis.iterations));
    return;
  }
  promotionGate(tick);
}

function advanceWeight(tick: Tick): void {
  const { analysis, names } = tick.ctx;
  const routes = tick.state.routes;
  if (mirrorsFirst(analysis) && routes.canary === 0 && !routes.mirror) {
    tick.state.routes = split(0, true);
    emit(tick, events.startMirroring(names.canary, names.copy));
    return;
  }
  if (atMaxWeight(analysis, routes.canary)) return promotionGate(tick);
  const approval = gate(tick, 'confirm-traffic-increase', 'Progressing');
  if (!approval.ok) {
    const hook = approval.hook;
    return awaitPeople(tick, 'trafficApproval', hook, events.waitingTrafficApproval(names.canary, hook.name), events.alerts.waitingTrafficApproval);
  }
  clearWait(tick, 'trafficApproval');
  for (const hook of approval.passed) emit(tick, events.confirmTrafficIncreasePassed(hook.name));
  // Never above maxWeight, even on a stepWeights list that is not ascending (the validator refuses those).
  const next = Math.min(nextWeight(analysis.weights, routes.canary) ?? analysis.maxWeight, analysis.maxWeight);
  tick.state.routes = split(next);
  emit(tick, events.advanceWeight(names.canary, next));
}

function promotionGate(tick: Tick): void {
  const { names } = tick.ctx;
  const approval = gate(tick, 'confirm-promotion', 'Progressing');
  if (!approval.ok) {
    if (tick.state.phase !== 'WaitingPromotion') transition(tick, 'WaitingPromotion', 'AwaitingPromotionApproval', approval.hook.name);
    const hook = approval.hook;
    return awaitPeople(tick, 'promotionApproval', hook, events.waitingPromotionApproval(names.canary, hook.name), events.alerts.waitingPromotionApproval);
  }
  for (const hook of approval.passed) emit(tick, events.confirmPromotionPassed(hook.name));
  startPromotion(tick, 'AnalysisPassed');
}

/**
 * A gate said no: wait for people. The event and the alert (unless the hook mutes it) go out once
 * per wait; past humanWaitTimeoutMs the run fails.
 */
export function awaitPeople(
  tick: Tick,
  kind: WaitKind,
  hook: EffectiveWebhook,
  event: EventAction,
  alertMessage: string,
): void {
  const first = tick.state.wait?.kind !== kind;
  const waited = waitFor(tick, kind, hook.name, () => event);
  if (first && !hook.muteAlert) alert(tick, 'warn', alertMessage);
  if (waited === 'expired') {
    emit(tick, events.approvalExpired(tick.ctx.names.canary, `(${hook.name})`));
    rollback(tick, { reason: 'ApprovalTimeout', message: `webhook ${hook.name} did not approve in time` });
  }
}
