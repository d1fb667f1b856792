// One tick in the making: the context a step decides in (spec with every default applied, the
// observations, the injected time) and a draft of the next state with the effects decided so far.
// The draft is a private copy; step() hands out the finished state and never touches its input.

import { effectiveAnalysis, type EffectiveAnalysis } from '../api/defaults.js';
import { templateRevision } from '../api/revision.js';
import type { AlertSeverity, CanarySpec } from '../api/types.js';
import type { Action, EventAction } from './actions.js';
import type { Checker } from './checker.js';
import type { Observations } from './observations.js';
import type { StepOptions } from './options.js';
import {
  HUMAN_WAITS,
  OUTBOX_LIMIT,
  TRANSITION_HISTORY_LIMIT,
  CHECK_HISTORY_LIMIT,
  bounded,
  type CheckRecord,
  type Phase,
  type Reason,
  type State,
  type WaitKind,
} from './state.js';

export type { StepOptions } from './options.js';

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_HUMAN_WAIT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export interface Names {
  /** `<canary>.<ns>` */
  c: string;
  /** `<target>.<ns>` */
  t: string;
  /** `<target>-canary.<ns>` */
  copy: string;
  /** The target's kind, for messages ("New Deployment detected"). */
  kind: string;
}

export interface Context {
  spec: CanarySpec;
  a: EffectiveAnalysis;
  obs: Observations;
  at: string;
  nowMs: number;
  names: Names;
  /** skipAnalysis, or no analysis block at all (Flagger treats both alike). */
  skip: boolean;
  pollMs: number;
  humanWaitMs: number;
}

export interface Tick {
  readonly ctx: Context;
  readonly checker: Checker;
  /** An analysis interval has passed: periodic work (analysis, gates, waits) runs. */
  readonly periodic: boolean;
  state: State;
  /** Events and one-shot actions, in the order decided. */
  effects: Action[];
}

export function makeContext(spec: CanarySpec, obs: Observations, now: Date, options: StepOptions): Context {
  const ns = obs.canary.namespace;
  const a = effectiveAnalysis(spec, {
    ...(options.meshProvider ? { meshProvider: options.meshProvider } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    namespace: ns,
  });
  const target = spec.targetRef?.name ?? '';
  return {
    spec,
    a,
    obs,
    at: now.toISOString(),
    nowMs: now.getTime(),
    names: { c: `${obs.canary.name}.${ns}`, t: `${target}.${ns}`, copy: `${a.canaryWorkloadName}.${ns}`, kind: spec.targetRef?.kind || 'Deployment' },
    skip: a.skipAnalysis || spec.analysis === undefined,
    pollMs: Math.min(a.intervalMs, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS),
    humanWaitMs: options.humanWaitTimeoutMs ?? DEFAULT_HUMAN_WAIT_TIMEOUT_MS,
  };
}

export const cloneState = (state: State): State => structuredClone(state);

export function emit(t: Tick, event: EventAction): void {
  t.effects.push(event);
}

export function transition(t: Tick, to: Phase, reason: Reason, message?: string): void {
  const from = t.state.phase;
  t.state.transitions = bounded(t.state.transitions, { at: t.ctx.at, from, to, reason, ...(message ? { message } : {}) }, TRANSITION_HISTORY_LIMIT);
  t.state.phase = to;
  t.state.phaseSince = t.ctx.at;
  // A phase's periodic work starts a full cadence after it is entered, whatever triggered it.
  t.state.lastStepAt = t.ctx.at;
  t.state.reason = reason;
  if (message) t.state.message = message;
  else delete t.state.message;
  delete t.state.wait;
}

export function recordCheck(t: Tick, record: CheckRecord | undefined): void {
  if (record) t.state.checks = bounded(t.state.checks, record, CHECK_HISTORY_LIMIT);
}

/** The webhook payload checksum: the run's revision and tracked configs (Flagger: lastAppliedSpec + trackedConfigs). */
export const runChecksum = (state: State): string =>
  templateRevision({ lastAppliedSpec: state.revision ?? '', trackedConfigs: state.trackedConfigs });

function outbox(t: Tick, entry: State['outbox'][number]): void {
  t.state.outbox = bounded(t.state.outbox, entry, OUTBOX_LIMIT);
}

export function alert(t: Tick, severity: AlertSeverity, message: string): void {
  t.state.seq += 1;
  const revision = t.state.revision;
  outbox(t, { id: `r${t.state.run}-a${t.state.seq}`, kind: 'alert', severity, message, phase: t.state.phase, ...(revision ? { revision } : {}) });
}

/** Queues the post-rollout webhooks for the phase the run ended in (Succeeded or Failed). */
export function postRollout(t: Tick): void {
  const phase = t.state.phase;
  const revision = t.state.revision ?? '';
  const checksum = runChecksum(t.state);
  for (const hook of t.ctx.a.webhooks.filter((h) => h.type === 'post-rollout')) {
    outbox(t, { id: `r${t.state.run}-${phase}-${hook.name}`, kind: 'hook', hook: hook.name, type: 'post-rollout', phase, revision, checksum });
  }
}

export type WaitOutcome = 'waiting' | 'expired';

/**
 * Records that the canary waits for `kind`. The deadline runs from when this kind of wait began:
 * progressDeadlineSeconds for the cluster, humanWaitTimeoutMs for people. The message is emitted
 * when it differs from the last one for this wait, so a long wait does not flood the events.
 */
export function waitFor(t: Tick, kind: WaitKind, message: string, event?: (message: string) => EventAction): WaitOutcome {
  const current = t.state.wait?.kind === kind ? t.state.wait : undefined;
  const since = current?.since ?? t.ctx.at;
  const budget = HUMAN_WAITS.has(kind) ? t.ctx.humanWaitMs : t.ctx.a.progressDeadlineMs;
  const deadlineMs = Date.parse(since) + budget;
  if (event && current?.message !== message) emit(t, event(message));
  t.state.wait = { kind, since, deadline: new Date(deadlineMs).toISOString(), message };
  return t.ctx.nowMs >= deadlineMs ? 'expired' : 'waiting';
}

export function clearWait(t: Tick, ...kinds: WaitKind[]): void {
  if (t.state.wait && (kinds.length === 0 || kinds.includes(t.state.wait.kind))) delete t.state.wait;
}

/** Resets the counters of a run. */
export function resetRun(state: State): void {
  state.iterations = 0;
  state.failedChecks = 0;
  state.analysisStarted = false;
  state.rolledOut = false;
}
