// Starting and following runs: bootstrap to Initialized, a pending revision through the
// confirm-rollout gate into Progressing, a newer revision restarting a run, a revert cancelling it.
// A revision is the template's hash plus the tracked configs' checksums (a Subject).

import * as ev from './events.js';
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

/** Davy's objects are in place: the copy exists, the workload is labelled and records its stable revision, the router answers. */
function bootstrapped(t: Tick): boolean {
  const { obs } = t.ctx;
  const stable = t.state.stableRevision;
  return stable !== undefined && obs.copy.exists && obs.target.labeled && obs.target.stableRevision === stable && obs.routes !== undefined;
}

/**
 * Once the workload exists, its stable revision is the one it records (a lost state recovers
 * from there) or else its current template.
 */
function adoptStable(t: Tick): void {
  const { obs } = t.ctx;
  const { state } = t;
  if (state.stableRevision !== undefined || !obs.target.exists || obs.target.templateRevision === undefined) return;
  state.stableRevision = obs.target.stableRevision ?? obs.target.templateRevision;
  state.stableConfigs = { ...obs.trackedConfigs };
  state.revision = state.stableRevision;
  state.trackedConfigs = { ...obs.trackedConfigs };
}

function initializeDone(t: Tick): void {
  const { names } = t.ctx;
  transition(t, 'Initialized', 'Initialized');
  emit(t, ev.initialized(names.c));
  alert(t, 'info', ev.alerts.initialized(names.kind));
}

/** The first step of a canary: record the stable revision and ask for Davy's objects. */
export function bootstrapTick(t: Tick): void {
  if (t.state.recoveredFrom !== undefined) {
    emit(t, ev.stateRecovered(t.ctx.names.c, t.state.recoveredFrom));
    delete t.state.recoveredFrom;
  }
  transition(t, 'Initializing', 'Bootstrap');
  initializingTick(t);
}

/** Initializing: Initialized once Davy's objects are observed; the progress deadline applies. */
export function initializingTick(t: Tick): void {
  const { obs, names } = t.ctx;
  if (!obs.target.exists || obs.target.templateRevision === undefined) {
    if (waitFor(t, 'target', names.t, ev.waitingTarget) === 'expired') failBootstrap(t, `${names.t} does not exist`);
    return;
  }
  adoptStable(t);
  if (bootstrapped(t)) return initializeDone(t);
  if (waitFor(t, 'bootstrap', `waiting for Davy's objects for ${names.t}`) === 'expired') {
    failBootstrap(t, `Davy's objects for ${names.t} were not observed in time`);
  }
}

function failBootstrap(t: Tick, why: string): void {
  emit(t, ev.deadlineExceeded(t.ctx.names.c, why));
  transition(t, 'Failed', 'BootstrapDeadline', why);
  alert(t, 'error', ev.alerts.deadline(why));
}

/** Initialized, Succeeded, Failed: a revert ends a failed run; a new revision is considered. */
export function restingTick(t: Tick): void {
  const { state } = t;
  if (state.reason === 'BootstrapDeadline') {
    // Failed to initialize: intent keeps asking for the objects; initialized when they show up.
    adoptStable(t);
    if (bootstrapped(t)) initializeDone(t);
    return;
  }
  const subject = observedSubject(t.ctx.obs);
  const stable = stableSubject(state);
  if (subject === undefined || stable === undefined) return;
  if (sameSubject(subject, stable)) {
    if (state.phase === 'Failed' && !sameSubject(runSubject(state), stable)) revert(t);
    return;
  }
  if (state.phase === 'Failed' && sameSubject(subject, runSubject(state))) return; // needs `davy retry` or a new revision
  considerRun(t, subject, 'NewRevision');
}

/** Waiting for confirm-rollout: a revert ends it; otherwise the gate is asked again. */
export function waitingTick(t: Tick): void {
  const subject = observedSubject(t.ctx.obs);
  if (subject === undefined) return;
  if (sameSubject(subject, stableSubject(t.state))) return revert(t);
  if (t.periodic || !sameSubject(subject, runSubject(t.state))) considerRun(t, subject, 'NewRevision');
}

/**
 * The confirm-rollout gate (payload phase: the current one; checksum: the candidate's, so a
 * receiver can tell which revision it approves), then the run starts.
 */
export function considerRun(t: Tick, subject: Subject, reason: Reason): void {
  t.state.revision = subject.revision;
  t.state.trackedConfigs = { ...subject.configs };
  const approval = gate(t, 'confirm-rollout');
  if (!approval.ok) {
    if (t.state.phase !== 'Waiting') transition(t, 'Waiting', 'AwaitingApproval', approval.hook.name);
    const hook = approval.hook;
    return awaitPeople(t, 'approval', hook, ev.waitingApproval(t.ctx.names.c, hook.name), ev.alerts.waitingApproval);
  }
  for (const hook of approval.passed) emit(t, ev.confirmRolloutPassed(hook.name));
  startRun(t, subject, reason, t.ctx.skip);
}

/**
 * A run of `subject`: counters reset, traffic on primary, the copy synced and scaled up (or, when
 * analysis is skipped, promotion at once). A restart is the same with Flagger's restart event.
 */
export function startRun(t: Tick, subject: Subject, reason: Reason, skip: boolean): void {
  const { names, obs } = t.ctx;
  const { state } = t;
  state.run += 1;
  state.revision = subject.revision;
  state.trackedConfigs = { ...subject.configs };
  resetRun(state);
  state.routes = { ...STABLE_ROUTES };
  if (!obs.target.held && subject.revision !== state.stableRevision) emit(t, ev.notHeld(names.t, subject.revision));
  if (skip) {
    state.copy = 'zero';
    if (reason === 'PromoteAction') return startPromotion(t, 'PromoteAction'); // the action's own event says why
    emit(t, ev.newRevisionSkipAnalysis(names.t));
    return startPromotion(t, 'SkipAnalysis');
  }
  state.copy = 'up';
  transition(t, 'Progressing', reason);
  if (reason === 'Restarted') return emit(t, ev.restarting(names.t));
  emit(t, ev.newRevision(names.t));
  alert(t, 'info', ev.alerts.newRevision);
}

/**
 * During a run, the workload's template moved: back to the stable revision (a revert cancels the
 * run) or to another one (the analysis restarts, without a new confirm-rollout, as in Flagger).
 * Returns true when it ended the tick.
 */
export function followRevision(t: Tick): boolean {
  const { state } = t;
  const active = state.phase === 'Progressing' || state.phase === 'WaitingPromotion' || state.phase === 'Promoting';
  if (!active) return false;
  const subject = observedSubject(t.ctx.obs);
  if (subject === undefined || sameSubject(subject, runSubject(state))) return false;
  if (!state.rolledOut && sameSubject(subject, stableSubject(state))) {
    revert(t);
    return true;
  }
  startRun(t, subject, 'Restarted', t.ctx.skip);
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
      return sameSubject(subject, stable) ? !sameSubject(runSubject(state), stable) : !sameSubject(subject, runSubject(state));
    case 'Waiting':
    case 'Progressing':
    case 'WaitingPromotion':
    case 'Promoting':
      return !sameSubject(subject, runSubject(state));
    default:
      return false;
  }
}
