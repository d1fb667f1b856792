// What a step tells a CloudEvents sink (issue 14, beyond Flagger). When the stepper has a sink
// (StepOptions.cloudEvents), a step that moved the canary queues one outbox entry per occurrence:
// each phase it entered (named after the transition's reason), else a weight or iteration it
// advanced, else a failed check or a hold that began. Each entry carries the step's outcome
// (revision, routes, iterations, failed checks) and the checks the step ran. The runner renders
// and posts them (src/runner/cloudevents.ts); the outbox gives them at-least-once delivery with
// ids that survive a retry, so a receiver can drop a duplicate.
//
// Derived from the state before and after the step, not from the phases' code: every transition is
// reported, including ones added later, and a Reason without an occurrence fails to compile.

import { outbox, type Tick } from './tick.js';
import type { CheckRecord, Occurrence, Reason, State, TransitionRecord, WaitKind } from './state.js';

const BY_REASON: Readonly<Record<Reason, Occurrence>> = {
  Bootstrap: 'initializing',
  Initialized: 'initialized',
  BootstrapDeadline: 'failed',
  NewRevision: 'progressing',
  Restarted: 'restarted',
  Retry: 'retried',
  Reverted: 'reverted',
  AwaitingApproval: 'waiting',
  AwaitingPromotionApproval: 'promotion.waiting',
  AnalysisPassed: 'promotion.started',
  SkipAnalysis: 'promotion.started',
  PromoteAction: 'promotion.started',
  RolloutComplete: 'promotion.finalising',
  PromotionComplete: 'promoted',
  PromotionFailed: 'promotion.failed',
  FailedChecksThreshold: 'rolledback',
  RollbackHook: 'rolledback',
  Aborted: 'rolledback',
  CanaryNotReady: 'rolledback',
  NoDataDeadline: 'rolledback',
  ProgressDeadline: 'rolledback',
  PauseTimeout: 'rolledback',
  ApprovalTimeout: 'rolledback',
  Deleted: 'terminating',
};

/** The occurrence a transition reports. */
export const occurrenceOf = (reason: Reason): Occurrence => BY_REASON[reason];

/** Waits that halt advancement within a phase (the others come with a transition, or wait on the cluster). */
const HOLDS: ReadonlySet<WaitKind> = new Set(['noData', 'paused', 'trafficApproval']);

/** The records of `after` made at `at` that `before` does not have (both lists only grow at the end). */
function madeAt<T extends { at: string }>(before: readonly T[], after: readonly T[], at: string): T[] {
  const earlier = before.filter((r) => r.at === at).length;
  return after.filter((r) => r.at === at).slice(earlier);
}

/** Queues the step's CloudEvents; `before` is the state the step started from. */
export function queueCloudEvents(tick: Tick, before: State): void {
  const { state, ctx } = tick;
  const checks = madeAt(before.checks, state.checks, ctx.at);
  const moves = madeAt(before.transitions, state.transitions, ctx.at);
  if (moves.length > 0) {
    for (const move of moves) queue(tick, occurrenceOf(move.reason), checks, move);
    return;
  }
  const { routes } = state;
  const advanced = routes.canary !== before.routes.canary || routes.primary !== before.routes.primary
    || routes.mirror !== before.routes.mirror || state.iterations !== before.iterations;
  if (advanced) return queue(tick, 'advanced', checks);
  const wait = state.wait;
  const hold = wait && HOLDS.has(wait.kind) && wait.kind !== before.wait?.kind ? wait.message : undefined;
  if (state.failedChecks > before.failedChecks || hold !== undefined) queue(tick, 'halted', checks, undefined, hold);
}

function queue(
  tick: Tick, occurrence: Occurrence, checks: readonly CheckRecord[], move?: TransitionRecord, message?: string,
): void {
  const { state } = tick;
  state.seq += 1;
  const text = move?.message ?? message;
  outbox(tick, {
    id: `r${state.run}-c${state.seq}`,
    kind: 'cloudEvent',
    occurrence,
    at: tick.ctx.at,
    phase: move?.to ?? state.phase,
    ...(move ? { from: move.from, reason: move.reason } : {}),
    ...(text ? { message: text } : {}),
    ...(state.revision ? { revision: state.revision } : {}),
    ...(state.stableRevision ? { stableRevision: state.stableRevision } : {}),
    routes: { ...state.routes },
    iterations: state.iterations,
    failedChecks: state.failedChecks,
    checks: checks.map(({ kind, name, hookType, value, min, max, verdict }) => ({
      kind, name, verdict,
      ...(hookType === undefined ? {} : { hookType }),
      ...(value === undefined ? {} : { value }),
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
    })),
  });
}
