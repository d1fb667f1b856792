// The stepper's persisted state: one JSON document in the Canary's `davy.dev/state` annotation.
// Nothing about a canary lives anywhere else between steps, so everything step() needs to decide
// the next step, and everything intent() needs to re-apply the cluster targets, is in here.
//
// Compatibility rule for the schema: add optional fields freely; anything else bumps
// STATE_VERSION, and parseState() treats an unknown version as corrupt (a fresh state that
// re-initialises from the cluster, where the stable revision is also recorded).
//
// A leaf: the types and rules of the state, importing only api/. Its codec is state-codec.ts, its
// projection as the Canary's status is status.ts.

import type { AlertSeverity, CanaryPhase } from '../api/types.js';
import { STABLE_ROUTES, type Routes, type SessionCookies } from '../api/types-routing.js';

export const STATE_VERSION = 1;
/** Bounds that keep the annotation far below the 256 KiB limit on all annotations of an object. */
export const CHECK_HISTORY_LIMIT = 50;
export const TRANSITION_HISTORY_LIMIT = 30;
export const OUTBOX_LIMIT = 20;
/** CloudEvents waiting for the sink, bounded apart so an unreachable sink never evicts hooks or alerts. */
export const CLOUD_EVENTS_LIMIT = 20;
export const MAX_TEXT = 1000;
/** Events whose every write failed for a passing reason, carried to the next pass (runner/events.ts). */
export const UNSENT_EVENTS_LIMIT = 10;

/** Flagger's phases; '' is a canary never stepped. `Terminated` is never written (Flagger neither). */
export type Phase = Exclude<CanaryPhase, 'Terminated'>;
export const PHASES: readonly Phase[] = [
  '', 'Initializing', 'Initialized', 'Waiting', 'Progressing', 'WaitingPromotion', 'Promoting', 'Finalising', 'Succeeded',
  'Failed', 'Terminating',
];

/** Phases in which nothing moves until something new appears (a revision, an action, a deletion). */
export const RESTING_PHASES: ReadonlySet<Phase> = new Set(['Initialized', 'Succeeded', 'Failed']);

/** Whether a phase (the state's, or Flagger's status.phase) is one of RESTING_PHASES. */
export const isResting = (phase: string): boolean => (RESTING_PHASES as ReadonlySet<string>).has(phase);

export { STABLE_ROUTES, type Routes, type SessionCookies } from '../api/types-routing.js';

/** Why a phase was entered: machine-readable, recorded with every transition. */
export type Reason =
  | 'Bootstrap' | 'Initialized' | 'BootstrapDeadline'
  | 'NewRevision' | 'Restarted' | 'Retry' | 'Reverted'
  | 'AwaitingApproval' | 'ApprovalTimeout' | 'AwaitingPromotionApproval'
  | 'AnalysisPassed' | 'SkipAnalysis' | 'PromoteAction'
  | 'RolloutComplete' | 'PromotionComplete' | 'PromotionFailed'
  | 'FailedChecksThreshold' | 'RollbackHook' | 'Aborted' | 'CanaryNotReady' | 'NoDataDeadline'
  | 'ProgressDeadline' | 'PauseTimeout'
  | 'Deleted';

/**
 * What the canary is waiting for. Waits on the cluster expire after progressDeadlineSeconds; waits
 * on people (approval gates, a pause) after the stepper's humanWaitTimeoutMs.
 */
export type WaitKind =
  | 'bootstrap' | 'target' | 'copyReady' | 'noData' | 'targetRollout' | 'finalize'
  | 'approval' | 'trafficApproval' | 'promotionApproval' | 'paused';
export const WAIT_KINDS: readonly WaitKind[] = [
  'bootstrap', 'target', 'copyReady', 'noData', 'targetRollout', 'finalize', 'approval', 'trafficApproval', 'promotionApproval', 'paused',
];
export const HUMAN_WAITS: ReadonlySet<WaitKind> = new Set(['approval', 'trafficApproval', 'promotionApproval', 'paused']);

export interface Wait {
  kind: WaitKind;
  since: string;
  /** When the wait ends the run (recomputed each step from the spec). */
  deadline: string;
  /** The last message emitted for this wait: the same message is not emitted twice. */
  message: string;
}

export type CheckVerdict = 'ok' | 'failed' | 'noData' | 'error';

/** One recorded check: a metric with its query, value and bounds, or a webhook with its outcome. */
export interface CheckRecord {
  at: string;
  kind: 'metric' | 'hook';
  name: string;
  /** Webhook type for hooks. */
  hookType?: string;
  /**
   * The query as sent. Kept once per metric and revision (appendCheck): a record whose query is
   * that of the same metric's earlier record of the same revision leaves it out.
   */
  query?: string;
  value?: number;
  min?: number;
  max?: number;
  verdict: CheckVerdict;
  message?: string;
  revision?: string;
}

export interface TransitionRecord {
  at: string;
  from: Phase;
  to: Phase;
  reason: Reason;
  message?: string;
}

export type ImperativeVerb = 'promote' | 'abort' | 'retry' | 'pause' | 'resume';

/** The last imperative action handled: its nonce is never executed again. */
export interface ActionRecord {
  nonce: string;
  action: string;
  by?: string;
  at: string;
  outcome: 'done' | 'ignored';
  message: string;
}

/**
 * What a CloudEvent reports (cloudevents.ts): a phase entered, named after the reason, or a step
 * within a phase (`advanced`: a weight or iteration; `halted`: a failed check or a new hold).
 */
export type Occurrence =
  | 'initializing' | 'initialized' | 'progressing' | 'restarted' | 'retried' | 'reverted' | 'waiting'
  | 'advanced' | 'halted' | 'promotion.waiting' | 'promotion.started' | 'promotion.finalising' | 'promoted'
  | 'promotion.failed' | 'rolledback' | 'failed' | 'terminating';
export const OCCURRENCES: readonly Occurrence[] = [
  'initializing', 'initialized', 'progressing', 'restarted', 'retried', 'reverted', 'waiting', 'advanced', 'halted',
  'promotion.waiting', 'promotion.started', 'promotion.finalising', 'promoted', 'promotion.failed', 'rolledback', 'failed',
  'terminating',
];

/** A check as a CloudEvent carries it: no query or message, only what was judged. */
export type CheckValue = Pick<CheckRecord, 'kind' | 'name' | 'hookType' | 'value' | 'min' | 'max' | 'verdict'>;

/** One CloudEvent to post: what happened in one step, with the step's outcome. */
export interface CloudEventEntry {
  id: string;
  kind: 'cloudEvent';
  occurrence: Occurrence;
  /** When the step ran: the event's `time`, and part of its `id`. */
  at: string;
  /** The phase entered (or, for advanced and halted, the phase the step stayed in) and the one left. */
  phase: Phase;
  from?: Phase;
  reason?: Reason;
  message?: string;
  revision?: string;
  stableRevision?: string;
  routes: Routes;
  iterations: number;
  failedChecks: number;
  /** The checks this step ran, in order. */
  checks: CheckValue[];
}

/**
 * Calls with outside effects that must happen at least once. An entry stays here, and in
 * intent(), until the runner reports it delivered (Observations.delivered).
 */
export type OutboxEntry =
  | { id: string; kind: 'hook'; hook: string; type: 'post-rollout'; phase: Phase; revision: string; checksum: string }
  | { id: string; kind: 'alert'; severity: AlertSeverity; message: string; phase: Phase; revision?: string }
  | CloudEventEntry;

/**
 * A held DaemonSet running pods of its unanalysed (or rolled-back) template (hold-leak.ts): which
 * revision, on how many of its nodes, since when.
 */
export interface HoldLeak {
  revision: string;
  pods: number;
  desired: number;
  since: string;
}

/** A core/v1 Event the runner could not write; written under the same name by a later pass. */
export interface UnsentEvent {
  name: string;
  type: 'Normal' | 'Warning';
  message: string;
  /** When the step that emitted it ran: the Event's timestamps. */
  at: string;
}

export interface State {
  version: typeof STATE_VERSION;
  phase: Phase;
  phaseSince?: string;
  /** Why the current phase was entered, and a sentence for people. */
  reason?: Reason;
  message?: string;
  /** Counts runs (analyses started); names outbox entries so receivers can de-duplicate. */
  run: number;
  /** The revision under analysis, waiting, or last analysed (Flagger's lastAppliedSpec). */
  revision?: string;
  /** Checksums of the tracked ConfigMaps/Secrets that go with `revision`. */
  trackedConfigs: Record<string, string>;
  /** The revision the stable pods run (Flagger's lastPromotedSpec), also on the workload. */
  stableRevision?: string;
  stableConfigs: Record<string, string>;
  /** Router target. */
  routes: Routes;
  /** Session affinity's cookies (affinity.ts), given to the router with `routes`. */
  cookies?: SessionCookies;
  /** Canary copy target: 'up' matches the workload's replicas and runs `revision`. */
  copy: 'zero' | 'up';
  iterations: number;
  /** Failed checks in this run: cumulative, reset when a run starts. */
  failedChecks: number;
  /** The pre-rollout hooks passed in this run, so later ticks run rollout hooks and metrics. */
  analysisStarted: boolean;
  /** Promoting: the user's workload finished rolling out `revision`, now the stable revision. */
  rolledOut: boolean;
  /** Terminating: Davy's objects are gone (or the deadline passed); the finalizer goes next. */
  finalized?: boolean;
  /** The last periodic step: the next is due an analysis interval later. */
  lastStepAt?: string;
  /** The last change visible in the status (phase, weight, iterations, failed checks). */
  updatedAt?: string;
  wait?: Wait;
  /** `davy pause`: weights and iterations hold until `davy resume`; analysis goes on. */
  paused?: { by?: string; at: string };
  suspended?: boolean;
  lastAction?: ActionRecord;
  lastPromotion?: { revision: string; at: string };
  outbox: OutboxEntry[];
  /** Sequence for outbox ids. */
  seq: number;
  /** Checksum of the Canary spec last stepped with: a change is stepped at once. */
  specChecksum?: string;
  checks: CheckRecord[];
  transitions: TransitionRecord[];
  /** A held DaemonSet's pods on the held template, as last reported. */
  holdLeak?: HoldLeak;
  /** Events not yet written (the runner's, bounded by UNSENT_EVENTS_LIMIT); step() carries them over. */
  unsentEvents?: UnsentEvent[];
  /** Set when the annotation was unreadable; the next step reports it and clears it. */
  recoveredFrom?: string;
}

export function freshState(recoveredFrom?: string): State {
  return {
    version: STATE_VERSION,
    phase: '',
    run: 0,
    trackedConfigs: {},
    stableConfigs: {},
    routes: { ...STABLE_ROUTES },
    copy: 'zero',
    iterations: 0,
    failedChecks: 0,
    analysisStarted: false,
    rolledOut: false,
    outbox: [],
    seq: 0,
    checks: [],
    transitions: [],
    ...(recoveredFrom === undefined ? {} : { recoveredFrom }),
  };
}

/** Appends with a bound, dropping the oldest. */
export function bounded<T>(list: readonly T[], item: T, limit: number): T[] {
  const next = [...list, item];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * Appends a check to the history, bounded to `limit` like `bounded`, keeping a metric's query
 * once per revision. The state is written at every step, and the API server's cost of each write
 * grows with the Canary's size: with every query repeated, the history was most of a metric
 * canary's object (BENCHMARKS.md, "What a state write costs"). The first record of a metric and
 * revision still in the history always carries the query, so each record's query is its own or
 * that of the latest earlier record of the same metric and revision that has one (queryOf).
 */
export function appendCheck(checks: readonly CheckRecord[], record: CheckRecord, limit: number): CheckRecord[] {
  const { query, ...rest } = record;
  const known = query !== undefined && record.kind === 'metric' && queryOf(checks, record) === query;
  const next = bounded<CheckRecord>(checks, known ? rest : record, limit);
  for (const dropped of checks.slice(0, checks.length + 1 - next.length)) {
    if (dropped.query === undefined) continue;
    // The oldest record of its metric and revision is going: the next one inherits its query.
    const heir = next.findIndex((c) => sameSeries(c, dropped));
    if (heir >= 0 && next[heir]!.query === undefined) next[heir] = { ...next[heir]!, query: dropped.query };
  }
  return next;
}

/**
 * The query `record`'s metric was last sent with in `record`'s revision, as `checks` has it; for a
 * record of the history itself, pass the history up to and including it.
 */
export function queryOf(checks: readonly CheckRecord[], record: Pick<CheckRecord, 'kind' | 'name' | 'revision'>): string | undefined {
  return checks.findLast((c) => c.query !== undefined && sameSeries(c, record))?.query;
}

const sameSeries = (a: Pick<CheckRecord, 'kind' | 'name' | 'revision'>, b: Pick<CheckRecord, 'kind' | 'name' | 'revision'>): boolean =>
  a.kind === b.kind && a.name === b.name && a.revision === b.revision;

export const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/**
 * The transitions step() may make. Every non-terminal phase can end in a terminal one (deadlines,
 * rollback) and every phase can be deleted. Progressing -> Progressing is a restart, and so is
 * Promoting -> Promoting (a newer revision while promoting without analysis).
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  '': ['Initializing', 'Terminating'],
  Initializing: ['Initialized', 'Failed', 'Terminating'],
  Initialized: ['Waiting', 'Progressing', 'Promoting', 'Terminating'],
  Waiting: ['Progressing', 'Promoting', 'Failed', 'Initialized', 'Succeeded', 'Terminating'],
  Progressing: ['Progressing', 'WaitingPromotion', 'Promoting', 'Failed', 'Initialized', 'Succeeded', 'Terminating'],
  WaitingPromotion: ['Progressing', 'Promoting', 'Failed', 'Initialized', 'Succeeded', 'Terminating'],
  Promoting: ['Progressing', 'Promoting', 'Finalising', 'Failed', 'Initialized', 'Succeeded', 'Terminating'],
  Finalising: ['Succeeded', 'Terminating'],
  Succeeded: ['Waiting', 'Progressing', 'Promoting', 'Terminating'],
  Failed: ['Waiting', 'Progressing', 'Promoting', 'Initialized', 'Succeeded', 'Terminating'],
  Terminating: [],
};

export const isAllowedTransition = (from: Phase, to: Phase): boolean => ALLOWED_TRANSITIONS[from].includes(to);
