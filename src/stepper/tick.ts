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
  CLOUD_EVENTS_LIMIT,
  HUMAN_WAITS,
  OUTBOX_LIMIT,
  TRANSITION_HISTORY_LIMIT,
  CHECK_HISTORY_LIMIT,
  appendCheck,
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
  canary: string;
  /** `<target>.<ns>` */
  target: string;
  /** `<target>-canary.<ns>` */
  copy: string;
  /** The target's kind, for messages ("New Deployment detected"). */
  kind: string;
}

export interface Context {
  spec: CanarySpec;
  analysis: EffectiveAnalysis;
  obs: Observations;
  at: string;
  nowMs: number;
  names: Names;
  /** skipAnalysis, or no analysis block at all (Flagger treats both alike). */
  skip: boolean;
  pollMs: number;
  humanWaitMs: number;
  /** StepOptions.notifier: a global notifier takes the alerts of a canary without alerts. */
  notifier: boolean;
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
  const analysis = effectiveAnalysis(spec, {
    ...(options.meshProvider ? { meshProvider: options.meshProvider } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    namespace: ns,
  });
  const target = spec.targetRef?.name ?? '';
  return {
    spec,
    analysis,
    obs,
    at: now.toISOString(),
    nowMs: now.getTime(),
    names: { canary: `${obs.canary.name}.${ns}`, target: `${target}.${ns}`, copy: `${analysis.canaryWorkloadName}.${ns}`, kind: spec.targetRef?.kind || 'Deployment' },
    skip: analysis.skipAnalysis || spec.analysis === undefined,
    pollMs: Math.min(analysis.intervalMs, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS),
    humanWaitMs: options.humanWaitTimeoutMs ?? DEFAULT_HUMAN_WAIT_TIMEOUT_MS,
    notifier: options.notifier === true,
  };
}

export const cloneState = (state: State): State => structuredClone(state);

export function emit(tick: Tick, event: EventAction): void {
  tick.effects.push(event);
}

export function transition(tick: Tick, to: Phase, reason: Reason, message?: string): void {
  const from = tick.state.phase;
  const record = { at: tick.ctx.at, from, to, reason, ...(message ? { message } : {}) };
  tick.state.transitions = bounded(tick.state.transitions, record, TRANSITION_HISTORY_LIMIT);
  tick.state.phase = to;
  tick.state.phaseSince = tick.ctx.at;
  // A phase's periodic work starts a full cadence after it is entered, whatever triggered it.
  tick.state.lastStepAt = tick.ctx.at;
  tick.state.reason = reason;
  if (message) tick.state.message = message;
  else delete tick.state.message;
  delete tick.state.wait;
}

export function recordCheck(tick: Tick, record: CheckRecord | undefined): void {
  if (record) tick.state.checks = appendCheck(tick.state.checks, record, CHECK_HISTORY_LIMIT);
}

/** The webhook payload checksum: the run's revision and tracked configs (Flagger: lastAppliedSpec + trackedConfigs). */
export const runChecksum = (state: State): string =>
  templateRevision({ lastAppliedSpec: state.revision ?? '', trackedConfigs: state.trackedConfigs });

/**
 * Queues an outbox entry. CloudEvents and the other calls are bounded apart (the oldest of the
 * entry's own family goes), so events piling up for an unreachable sink never push out a hook or an alert.
 */
export function outbox(tick: Tick, entry: State['outbox'][number]): void {
  const family = (e: State['outbox'][number]): boolean => (e.kind === 'cloudEvent') === (entry.kind === 'cloudEvent');
  const limit = entry.kind === 'cloudEvent' ? CLOUD_EVENTS_LIMIT : OUTBOX_LIMIT;
  const next = [...tick.state.outbox, entry];
  const kin = next.filter(family);
  const dropped = new Set(kin.slice(0, Math.max(0, kin.length - limit)));
  tick.state.outbox = next.filter((e) => !dropped.has(e));
}

const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warn: 1, error: 2 };

/** Flagger's filter: an alert receives the notifications at or above its own severity. */
export const admits = (alert: { severity: AlertSeverity }, severity: AlertSeverity): boolean =>
  SEVERITY_RANK[severity] >= SEVERITY_RANK[alert.severity];

/** Whether an alert of `severity` reaches anyone: an alert of the canary's that admits it, else the global notifier. */
const alertReceived = (ctx: Context, severity: AlertSeverity): boolean =>
  ctx.analysis.alerts.length === 0 ? ctx.notifier : ctx.analysis.alerts.some((a) => admits(a, severity));

/**
 * Queues an alert for its receivers. One nobody receives is not queued: an outbox entry costs a
 * state write to acknowledge (issue 15: two Canary writes per rollout for alerts going nowhere).
 */
export function alert(tick: Tick, severity: AlertSeverity, message: string): void {
  tick.state.seq += 1;
  if (!alertReceived(tick.ctx, severity)) return;
  const revision = tick.state.revision;
  outbox(tick, { id: `r${tick.state.run}-a${tick.state.seq}`, kind: 'alert', severity, message, phase: tick.state.phase, ...(revision ? { revision } : {}) });
}

/** Queues the post-rollout webhooks for the phase the run ended in (Succeeded or Failed). */
export function postRollout(tick: Tick): void {
  const phase = tick.state.phase;
  const revision = tick.state.revision ?? '';
  const checksum = runChecksum(tick.state);
  for (const hook of tick.ctx.analysis.webhooks.filter((h) => h.type === 'post-rollout')) {
    outbox(tick, { id: `r${tick.state.run}-${phase}-${hook.name}`, kind: 'hook', hook: hook.name, type: 'post-rollout', phase, revision, checksum });
  }
}

export type WaitOutcome = 'waiting' | 'expired';

/**
 * Records that the canary waits for `kind`. The deadline runs from when this kind of wait began:
 * progressDeadlineSeconds for the cluster, humanWaitTimeoutMs for people. The message is emitted
 * when it differs from the last one for this wait, so a long wait does not flood the events.
 */
export function waitFor(
  tick: Tick,
  kind: WaitKind,
  message: string,
  event?: (message: string) => EventAction,
): WaitOutcome {
  const current = tick.state.wait?.kind === kind ? tick.state.wait : undefined;
  const since = current?.since ?? tick.ctx.at;
  const budget = HUMAN_WAITS.has(kind) ? tick.ctx.humanWaitMs : tick.ctx.analysis.progressDeadlineMs;
  const deadlineMs = Date.parse(since) + budget;
  if (event && current?.message !== message) emit(tick, event(message));
  tick.state.wait = { kind, since, deadline: new Date(deadlineMs).toISOString(), message };
  return tick.ctx.nowMs >= deadlineMs ? 'expired' : 'waiting';
}

export function clearWait(tick: Tick, ...kinds: WaitKind[]): void {
  if (tick.state.wait && (kinds.length === 0 || kinds.includes(tick.state.wait.kind))) delete tick.state.wait;
}

/** Resets the counters of a run. */
export function resetRun(state: State): void {
  state.iterations = 0;
  state.failedChecks = 0;
  state.analysisStarted = false;
  state.rolledOut = false;
}
