// The stepper's entry points: plan() says which checks a tick needs, step() decides the tick.
//
//   const checks = plan(state, spec, observations, now, options);
//   observations.results = await runChecks(checks);          // the runner: webhooks, metric queries
//   const { state: next, actions, due } = step(state, spec, observations, now, options);
//   write next (guarded by resourceVersion), then apply actions in order.
//
// A step runs when its analysis interval has passed (periodic work: analysis, gates, waits) or
// when something new appeared (a revision, an action nonce, a deletion, a spec change, delivered
// outbox entries); otherwise it returns the same state and no actions. Both functions are pure:
// the same inputs give the same outputs.

import type { CanarySpec } from '../api/types.js';
import { templateRevision } from '../api/revision.js';
import { outboxActions, targets, type Action } from './actions.js';
import { probeChecker, resultsChecker, type Checker, type Checks } from './checks.js';
import { acknowledge, deleting, deletionTick, hasDeliveries, suspendTick } from './housekeeping.js';
import { noteHoldLeak } from './hold-leak.js';
import { handleAction } from './imperative.js';
import { bootstrapTick, followRevision, initializingTick, restingTick, revisionPending, waitingTick } from './lifecycle.js';
import { observedSubject, type Observations } from './observations.js';
import { analysisTick } from './progressing.js';
import { finish, promotingTick } from './promotion.js';
import type { Phase, State } from './state.js';
import { cloneState, makeContext, type Context, type StepOptions, type Tick } from './tick.js';
import { statusWeight } from './weights.js';

export interface StepResult {
  state: State;
  /** Apply in order, after writing `state`. Empty when the step was not due. */
  actions: Action[];
  /** When this canary next needs a step (ISO time); sooner if something new appears. */
  due: string;
}

export function step(state: State, spec: CanarySpec, observations: Observations, now: Date, options: StepOptions = {}): StepResult {
  return run(state, spec, observations, now, options, resultsChecker(observations.results));
}

/** The webhooks and metrics step() may consult for the same inputs (Observations.results is not read). */
export function plan(state: State, spec: CanarySpec, observations: Observations, now: Date, options: StepOptions = {}): Checks {
  const probe = probeChecker();
  run(state, spec, observations, now, options, probe.checker);
  return probe.checks();
}

function run(state: State, spec: CanarySpec, obs: Observations, now: Date, options: StepOptions, checker: Checker): StepResult {
  const ctx = makeContext(spec, obs, now, options);
  const idle = { state, actions: [], due: dueAt(state, ctx) };
  // Going away without Davy's finalizer: nothing to finalize and nothing to converge.
  if (obs.canary.deletionTimestamp !== undefined && !deleting({ ctx })) return idle;
  const periodic = periodicDue(state, ctx);
  if (!periodic && !somethingNew(state, ctx)) return withHoldLeak(idle, ctx);
  const t: Tick = { ctx, checker, periodic, state: cloneState(state), effects: [] };
  decide(t);
  // What the tick led to may have something new to take in (Initialized with a revision already
  // pending, say): take it now, so a replayed tick finds nothing left to do.
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    t.state.specChecksum = specChecksum(spec);
    if (!somethingNew(t.state, ctx)) break;
    decide({ ...t, periodic: false });
  }
  settle(t, state);
  return withHoldLeak({ state: t.state, actions: [...targets(t.state, spec), ...t.effects, ...outboxActions(t.state)], due: dueAt(t.state, ctx) }, ctx);
}

/**
 * A held DaemonSet's leak (hold-leak.ts) is taken in on every step, due or not: it is reported when
 * it starts or changes, whatever the phase. Only the event is added; the targets stay as decided.
 */
function withHoldLeak(result: StepResult, ctx: Context): StepResult {
  const noted = noteHoldLeak(result.state, ctx.obs, ctx.names.t, ctx.at);
  return noted ? { ...result, state: noted.state, actions: [...result.actions, ...noted.events] } : result;
}

/** Follow-up rounds in one step; each consumes what triggered it, so two are plenty. */
const MAX_ROUNDS = 3;

function decide(t: Tick): void {
  acknowledge(t);
  if (deletionTick(t)) return;
  if (suspendTick(t)) return;
  if (handleAction(t)) return;
  if (t.state.phase === '') return bootstrapTick(t);
  if (followRevision(t)) return;
  phaseTick(t);
}

function phaseTick(t: Tick): void {
  switch (t.state.phase) {
    case 'Initializing':
      if (t.periodic) initializingTick(t);
      return;
    case 'Initialized':
    case 'Succeeded':
    case 'Failed':
      return restingTick(t);
    case 'Waiting':
      return waitingTick(t);
    case 'Progressing':
    case 'WaitingPromotion':
      if (t.periodic) analysisTick(t);
      return;
    case 'Promoting':
      if (t.periodic) promotingTick(t);
      return;
    case 'Finalising':
      if (t.periodic) finish(t);
      return;
    default:
      return;
  }
}

/** How often a phase does its periodic work: the analysis interval, or the poll period for cluster convergence. */
function cadenceMs(phase: Phase, ctx: Context): number {
  return phase === 'Initializing' || phase === 'Terminating' ? ctx.pollMs : ctx.a.intervalMs;
}

function periodicDue(state: State, ctx: Context): boolean {
  const last = state.lastStepAt === undefined ? Number.NaN : Date.parse(state.lastStepAt);
  if (state.phase === '' || Number.isNaN(last)) return true;
  return ctx.nowMs >= last + cadenceMs(state.phase, ctx);
}

/** When `state` comes (or came) due for its periodic step: what the runner measures lateness from. */
export function dueTime(state: State, spec: CanarySpec, observations: Observations, now: Date, options: StepOptions = {}): string {
  return dueAt(state, makeContext(spec, observations, now, options));
}

function dueAt(state: State, ctx: Context): string {
  const last = state.lastStepAt === undefined ? Number.NaN : Date.parse(state.lastStepAt);
  if (state.phase === '' || Number.isNaN(last)) return ctx.at;
  return new Date(last + cadenceMs(state.phase, ctx)).toISOString();
}

const specChecksum = (spec: CanarySpec): string => templateRevision(spec);

/** Something the step must take in now, between its periodic ticks. */
function somethingNew(state: State, ctx: Context): boolean {
  const { obs, spec } = ctx;
  const suspended = spec.suspend === true;
  if (deleting({ ctx }) && state.phase !== 'Terminating') return true;
  if (hasDeliveries({ ctx, state })) return true;
  // Terminating only finalizes, at its own pace.
  if (state.phase === 'Terminating') return false;
  if (suspended !== (state.suspended === true)) return true;
  if (specChecksum(spec) !== state.specChecksum) return true;
  if (suspended) return false;
  if (obs.action !== undefined && obs.action.nonce !== state.lastAction?.nonce) return true;
  return revisionPending(state, observedSubject(obs));
}

/** Bookkeeping every decided step does: spec checksum, step time, status change time. */
function settle(t: Tick, before: State): void {
  const { ctx, state } = t;
  state.specChecksum = specChecksum(ctx.spec);
  if (t.periodic) state.lastStepAt = ctx.at;
  const visible = (s: State) => [s.phase, statusWeight(ctx.a, s.routes), s.iterations, s.failedChecks].join('/');
  if (visible(state) !== visible(before)) state.updatedAt = ctx.at;
}
