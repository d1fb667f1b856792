// The stepper's entry points: plan() says which checks a tick needs, step() decides the tick.
//
//   const checks = plan(state, spec, observations, now, options);
//   observations.results = await runChecks(checks);          // the runner: webhooks, metric queries
//   const { state: next, changed, actions, due } = step(state, spec, observations, now, options);
//   if changed, write next (guarded by resourceVersion); then apply actions in order.
//
// A step runs when its analysis interval has passed (periodic work: analysis, gates, waits) or
// when something new appeared (a revision, an action nonce, a deletion, a spec change, delivered
// outbox entries). When it decides nothing new (not due, or a periodic tick that only found the
// canary waiting as before) it returns the same state, `changed: false`, and the recorded intent
// to re-apply. Both functions are pure: the same inputs give the same outputs.

import type { CanarySpec } from '../api/types.js';
import { templateRevision } from '../api/revision.js';
import { intent, outboxActions, targets, type Action } from './actions.js';
import { queueCloudEvents } from './cloudevents.js';
import { probeChecker, resultsChecker, type Checker, type Checks } from './checks.js';
import { settleCookies } from './affinity.js';
import { acknowledge, deleting, deletionTick, hasDeliveries, suspendTick } from './housekeeping.js';
import { noteHoldLeak } from './hold-leak.js';
import { handleAction } from './imperative.js';
import { bootstrapTick, followRevision, initializingTick, restingTick, revisionPending, waitingTick } from './lifecycle.js';
import { observedSubject, type Observations } from './observations.js';
import { analysisTick } from './progressing.js';
import { finish, promotingTick } from './promotion.js';
import { serializeState } from './state-codec.js';
import type { State } from './state.js';
import { cloneState, makeContext, type Context, type StepOptions, type Tick } from './tick.js';
import { statusWeight } from './weights.js';

export interface StepResult {
  state: State;
  /**
   * The step decided something: `state` differs from the input (beyond the clock) or it emitted
   * events. Only then is `state` written. Otherwise `state` is the input itself.
   */
  changed: boolean;
  /**
   * Apply in order, after writing `state` when changed. Unchanged: the recorded intent, re-applied
   * every pass (none for a Canary being deleted: it converges only at its finalize steps).
   */
  actions: Action[];
  /** When this canary next needs a step (ISO time); sooner if something new appears. */
  due: string;
}

export function step(
  state: State,
  spec: CanarySpec,
  observations: Observations,
  now: Date,
  options: StepOptions = {},
): StepResult {
  return run(state, spec, observations, now, options, resultsChecker(observations.results));
}

/**
 * When `state` next needs a periodic step (ISO time), as step() would say; undefined before the
 * first step. A resting canary is due too, though its step only looks for something new.
 */
export function nextStepAt(
  state: State,
  spec: CanarySpec,
  namespace: string,
  options: StepOptions = {},
): string | undefined {
  if (state.phase === '' || state.lastStepAt === undefined) return undefined;
  const nothing: Observations = {
    canary: { name: '', namespace, finalizers: [] },
    target: { exists: false, held: false, labeled: false },
    copy: { exists: false },
    trackedConfigs: {},
  };
  return dueAt(state, makeContext(spec, nothing, new Date(state.lastStepAt), options));
}

/** The webhooks and metrics step() may consult for the same inputs (Observations.results is not read). */
export function plan(
  state: State,
  spec: CanarySpec,
  observations: Observations,
  now: Date,
  options: StepOptions = {},
): Checks {
  const probe = probeChecker();
  run(state, spec, observations, now, options, probe.checker);
  return probe.checks();
}

function run(
  state: State,
  spec: CanarySpec,
  obs: Observations,
  now: Date,
  options: StepOptions,
  checker: Checker,
): StepResult {
  const ctx = makeContext(spec, obs, now, options);
  // A Canary being deleted converges only at its finalize steps; one without Davy's finalizer not at all.
  const reapply = obs.canary.deletionTimestamp === undefined ? intent(state, spec) : [];
  const idle = (due: string): StepResult => ({ state, changed: false, actions: reapply, due });
  if (obs.canary.deletionTimestamp !== undefined && !deleting({ ctx })) return idle(dueAt(state, ctx));
  const periodic = periodicDue(state, ctx);
  if (!periodic && !somethingNew(state, ctx)) return withHoldLeak(idle(dueAt(state, ctx)), ctx);
  const tick: Tick = { ctx, checker, periodic, state: cloneState(state), effects: [] };
  decide(tick);
  // What the tick led to may have something new to take in (Initialized with a revision already
  // pending, say): take it now, so a replayed tick finds nothing left to do.
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    tick.state.specChecksum = specChecksum(spec);
    if (!somethingNew(tick.state, ctx)) break;
    decide({ ...tick, periodic: false });
  }
  settle(tick, state);
  if (options.cloudEvents) queueCloudEvents(tick, state);
  const due = dueAt(tick.state, ctx);
  // A periodic tick that found everything as it was moved only the clock: nothing to write (a wait
  // goes on, a resting canary rests). The state keeps its old clock, so the next pass ticks again
  // and decides the same; `due` still says when a tick can next find something.
  if (tick.effects.length === 0 && withoutClock(tick.state) === withoutClock(state)) {
    return withHoldLeak(idle(due), ctx);
  }
  const actions = [...targets(tick.state, spec), ...tick.effects, ...outboxActions(tick.state)];
  return withHoldLeak({ state: tick.state, changed: true, actions, due }, ctx);
}

/**
 * A held DaemonSet's leak (hold-leak.ts) is taken in on every step, due or not: it is reported when
 * it starts or changes, whatever the phase. Only the event is added; the targets stay as decided.
 */
function withHoldLeak(result: StepResult, ctx: Context): StepResult {
  const noted = noteHoldLeak(result.state, ctx.obs, ctx.names.target, ctx.at);
  if (!noted) return result;
  return { ...result, state: noted.state, changed: true, actions: [...result.actions, ...noted.events] };
}

const withoutClock = (state: State): string => serializeState({ ...state, lastStepAt: undefined });

/** Follow-up rounds in one step; each consumes what triggered it, so two are plenty. */
const MAX_ROUNDS = 3;

function decide(tick: Tick): void {
  acknowledge(tick);
  if (deletionTick(tick)) return;
  if (suspendTick(tick)) return;
  if (handleAction(tick)) return;
  if (tick.state.phase === '') return bootstrapTick(tick);
  if (followRevision(tick)) return;
  phaseTick(tick);
}

function phaseTick(tick: Tick): void {
  switch (tick.state.phase) {
    case 'Initializing':
      if (tick.periodic) initializingTick(tick);
      return;
    case 'Initialized':
    case 'Succeeded':
    case 'Failed':
      return restingTick(tick); // RESTING_PHASES (state.ts)
    case 'Waiting':
      return waitingTick(tick);
    case 'Progressing':
    case 'WaitingPromotion':
      if (tick.periodic) analysisTick(tick);
      return;
    case 'Promoting':
      if (tick.periodic) promotingTick(tick);
      return;
    case 'Finalising':
      if (tick.periodic) finish(tick);
      return;
    default:
      return;
  }
}

/**
 * How often a phase does its periodic work: the analysis interval, or the poll period while it
 * waits on the cluster (initialising, finalizing, and promotion's wait for the workload's rollout:
 * nothing is judged there, and each interval spent after the rollout ended only delays the run).
 */
function cadenceMs(state: State, ctx: Context): number {
  const converging = state.phase === 'Initializing' || state.phase === 'Terminating' || (state.phase === 'Promoting' && !state.rolledOut);
  return converging ? ctx.pollMs : ctx.analysis.intervalMs;
}

function periodicDue(state: State, ctx: Context): boolean {
  const last = state.lastStepAt === undefined ? Number.NaN : Date.parse(state.lastStepAt);
  if (state.phase === '' || Number.isNaN(last)) return true;
  return ctx.nowMs >= last + cadenceMs(state, ctx);
}

function dueAt(state: State, ctx: Context): string {
  const last = state.lastStepAt === undefined ? Number.NaN : Date.parse(state.lastStepAt);
  if (state.phase === '' || Number.isNaN(last)) return ctx.at;
  return new Date(last + cadenceMs(state, ctx)).toISOString();
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

/** Bookkeeping every decided step does: spec checksum, step time, status change time, cookies. */
function settle(tick: Tick, before: State): void {
  const { ctx, state } = tick;
  state.specChecksum = specChecksum(ctx.spec);
  settleCookies(state, ctx);
  if (tick.periodic) state.lastStepAt = ctx.at;
  const visible = (s: State) => [s.phase, statusWeight(ctx.analysis, s.routes), s.iterations, s.failedChecks].join('/');
  if (visible(state) !== visible(before)) state.updatedAt = ctx.at;
}
