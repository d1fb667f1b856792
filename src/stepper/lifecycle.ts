// Starting and following runs: bootstrap to Initialized, a pending revision through the
// confirm-rollout gate into Progressing, a newer revision restarting a run, a revert cancelling it.
// A revision is the template's hash plus the tracked configs' checksums (a Subject).

import * as events from './events.js';
import { gate } from './checks.js';
import { observedSubject, sameSubject, type Subject } from './observations.js';
import { awaitPeople } from './progressing.js';
import { revert, startPromotion } from './promotion.js';
import { STABLE_ROUTES, type Reason, type State } from './state.js';
import { alert, emit, resetRun, transition, waitFor, type Tick } from './tick.js';

export const stableSubject = (s: State): Subject | undefined =>
  s.stableRevision === undefined ? undefined : { revision: s.stableRevision, configs: s.stableConfigs };
export const runSubject = (s: State): Subject | undefined =>
  s.revision === undefined ? undefined : { revision: s.revision, configs: s.trackedConfigs };

/**
 * Davy's objects are in place: the copy exists, the workload is labelled and records its stable revision, the router
 * answers.
 */
function bootstrapped(tick: Tick): boolean {
  const { copy, target, routes } = tick.ctx.obs;
  const stable = tick.state.stableRevision;
  if (stable === undefined || routes === undefined) return false;
  return copy.exists && target.labeled && target.stableRevision === stable;
}

/**
 * Once the workload exists, its stable revision is the one it records (a lost state recovers
 * from there) or else its current template.
 */
function adoptStable(tick: Tick): void {
  const { obs } = tick.ctx;
  const { state } = tick;
  if (state.stableRevision !== undefined || !obs.target.exists || obs.target.templateRevision === undefined) return;
  state.stableRevision = obs.target.stableRevision ?? obs.target.templateRevision;
  state.stableConfigs = { ...obs.trackedConfigs };
  state.revision = state.stableRevision;
  state.trackedConfigs = { ...obs.trackedConfigs };
}

function initializeDone(tick: Tick): void {
  const { names } = tick.ctx;
  transition(tick, 'Initialized', 'Initialized');
  emit(tick, events.initialized(names.canary));
  alert(tick, 'info', events.alerts.initialized(names.kind));
}

/** The first step of a canary: record the stable revision and ask for Davy's objects. */
export function bootstrapTick(tick: Tick): void {
  if (tick.state.recoveredFrom !== undefined) {
    emit(tick, events.stateRecovered(tick.ctx.names.canary, tick.state.recoveredFrom));
    delete tick.state.recoveredFrom;
  }
  transition(tick, 'Initializing', 'Bootstrap');
  initializingTick(tick);
}

/** Initializing: Initialized once Davy's objects are observed; the progress deadline applies. */
export function initializingTick(tick: Tick): void {
  const { obs, names } = tick.ctx;
  if (!obs.target.exists || obs.target.templateRevision === undefined) {
    if (waitFor(tick, 'target', names.target, events.waitingTarget) === 'expired') failBootstrap(tick, `${names.target} does not exist`);
    return;
  }
  adoptStable(tick);
  if (bootstrapped(tick)) return initializeDone(tick);
  if (waitFor(tick, 'bootstrap', `waiting for Davy's objects for ${names.target}`) === 'expired') {
    failBootstrap(tick, `Davy's objects for ${names.target} were not observed in time`);
  }
}

function failBootstrap(tick: Tick, why: string): void {
  emit(tick, events.deadlineExceeded(tick.ctx.names.canary, why));
  transition(tick, 'Failed', 'BootstrapDeadline', why);
  alert(tick, 'error', events.alerts.deadline(why));
}

/** Initialized, Succeeded, Failed: a revert ends a failed run; a new revision is considered. */
export function restingTick(tick: Tick): void {
  const { state } = tick;
  if (state.reason === 'BootstrapDeadline') {
    // Failed to initialize: intent keeps asking for the objects; initialized when they show up.
    adoptStable(tick);
    if (bootstrapped(tick)) initializeDone(tick);
    return;
  }
  const subject = observedSubject(tick.ctx.obs);
  const stable = stableSubject(state);
  if (subject === undefined || stable === undefined) return;
  if (sameSubject(subject, stable)) {
    if (state.phase === 'Failed' && !sameSubject(runSubject(state), stable)) revert(tick);
    return;
  }
  if (state.phase === 'Failed' && sameSubject(subject, runSubject(state))) return; // needs `davy retry` or a new revision
  considerRun(tick, subject, 'NewRevision');
}

/** Waiting for confirm-rollout: a revert ends it; otherwise the gate is asked again. */
export function waitingTick(tick: Tick): void {
  const subject = observedSubject(tick.ctx.obs);
  if (subject === undefined) return;
  if (sameSubject(subject, stableSubject(tick.state))) return revert(tick);
  if (tick.periodic || !sameSubject(subject, runSubject(tick.state))) considerRun(tick, subject, 'NewRevision');
}

/**
 * The confirm-rollout gate (payload phase: the current one; checksum: the candidate's, so a
 * receiver can tell which revision it approves), then the run starts.
 */
export function considerRun(tick: Tick, subject: Subject, reason: Reason): void {
  tick.state.revision = subject.revision;
  tick.state.trackedConfigs = { ...subject.configs };
  const approval = gate(tick, 'confirm-rollout');
  if (!approval.ok) {
    if (tick.state.phase !== 'Waiting') transition(tick, 'Waiting', 'AwaitingApproval', approval.hook.name);
    const hook = approval.hook;
    return awaitPeople(tick, 'approval', hook, events.waitingApproval(tick.ctx.names.canary, hook.name), events.alerts.waitingApproval);
  }
  for (const hook of approval.passed) emit(tick, events.confirmRolloutPassed(hook.name));
  startRun(tick, subject, reason, tick.ctx.skip);
}

/**
 * A run of `subject`: counters reset, traffic on primary, the copy synced and scaled up (or, when
 * analysis is skipped, promotion at once). A restart is the same with Flagger's restart event.
 */
export function startRun(tick: Tick, subject: Subject, reason: Reason, skip: boolean): void {
  const { names, obs } = tick.ctx;
  const { state } = tick;
  state.run += 1;
  state.revision = subject.revision;
  state.trackedConfigs = { ...subject.configs };
  resetRun(state);
  state.routes = { ...STABLE_ROUTES };
  if (!obs.target.held && subject.revision !== state.stableRevision) {
    emit(tick, events.notHeld(names.target, subject.revision));
  }
  if (skip) {
    state.copy = 'zero';
    if (reason === 'PromoteAction') return startPromotion(tick, 'PromoteAction'); // the action's own event says why
    emit(tick, events.newRevisionSkipAnalysis(names.target));
    return startPromotion(tick, 'SkipAnalysis');
  }
  state.copy = 'up';
  transition(tick, 'Progressing', reason);
  if (reason === 'Restarted') return emit(tick, events.restarting(names.target));
  emit(tick, events.newRevision(names.target));
  alert(tick, 'info', events.alerts.newRevision);
}

/**
 * During a run, the workload's template moved: back to the stable revision (a revert cancels the
 * run) or to another one (the analysis restarts, without a new confirm-rollout, as in Flagger).
 * Returns true when it ended the tick.
 */
export function followRevision(tick: Tick): boolean {
  const { state } = tick;
  const active = state.phase === 'Progressing' || state.phase === 'WaitingPromotion' || state.phase === 'Promoting';
  if (!active) return false;
  const subject = observedSubject(tick.ctx.obs);
  if (subject === undefined || sameSubject(subject, runSubject(state))) return false;
  if (!state.rolledOut && sameSubject(subject, stableSubject(state))) {
    revert(tick);
    return true;
  }
  startRun(tick, subject, 'Restarted', tick.ctx.skip);
  return true;
}

/** Whether the workload asks for something this phase has not taken in yet (the step is due now). */
export function revisionPending(state: State, subject: Subject | undefined): boolean {
  const stable = stableSubject(state);
  if (subject === undefined || stable === undefined || state.reason === 'BootstrapDeadline') return false;
  switch (state.phase) {
    case 'Initialized':
    case 'Succeeded':
      return !sameSubject(subject, stable);
    case 'Failed':
      return sameSubject(subject, stable)
        ? !sameSubject(runSubject(state), stable)
        : !sameSubject(subject, runSubject(state));
    case 'Waiting':
    case 'Progressing':
    case 'WaitingPromotion':
    case 'Promoting':
      return !sameSubject(subject, runSubject(state));
    default:
      return false;
  }
}
