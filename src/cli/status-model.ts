// What `davy status` knows about one Canary, as plain data: read from the object alone (its
// `davy.dev/state` and `davy.dev/action` annotations and its spec), so it is right before the
// status subresource is written, and serializable as `-o json`. Pure: the clock is an argument.

import { effectiveAnalysis, type EffectiveAnalysis } from '../api/defaults.js';
import { formatDuration } from '../api/durations.js';
import { ANNOTATION_ACTION, ANNOTATION_STATE } from '../api/keys.js';
import type { Strategy } from '../api/strategy.js';
import type { Canary, CanaryStatus } from '../api/types.js';
import {
  isResting,
  nextStepAt,
  parseActionAnnotation,
  parseState,
  projectStatus,
  type CheckRecord,
  type State,
  type StepOptions,
  type TransitionRecord,
  type WaitKind,
} from '../stepper/index.js';
import { estimatePromotion, type Estimate, type SimulationCache } from './status-estimate.js';

export type Progress =
  | { kind: 'weight'; weight: number; maxWeight: number; rung: number; rungs: number; mirror: boolean }
  | { kind: 'iterations'; iteration: number; iterations: number; abTesting: boolean };

/** One thing the canary waits for, with the time it ends when there is one. */
export interface Waiting {
  kind: WaitKind | 'nextStep' | 'revision' | 'suspended';
  text: string;
  /** When the next step is due. */
  at?: string;
  /** When the wait ends the run. */
  deadline?: string;
}

/** The `davy.dev/action` annotation while the stepper has not handled its nonce. */
export type PendingAction = { action: string; nonce: string; by?: string; at?: string } | { error: string };

export interface CanaryView {
  namespace: string;
  name: string;
  /** `Deployment/podinfo` */
  target: string;
  provider: string;
  strategy: Strategy;
  stateKind: 'ok' | 'empty' | 'corrupt';
  stateError?: string;
  /** Flagger's status fields: projected from the state, or the stored subresource when there is no readable state. */
  status: CanaryStatus;
  phase: string;
  reason?: string;
  message?: string;
  phaseSince?: string;
  progress: Progress;
  failedChecks: number;
  threshold: number;
  interval: string;
  intervalMs: number;
  revision?: string;
  stableRevision?: string;
  waiting: Waiting[];
  estimate: Estimate;
  paused?: { by?: string; at: string };
  suspended: boolean;
  lastAction?: State['lastAction'];
  pendingAction?: PendingAction;
  checks: CheckRecord[];
  transitions: TransitionRecord[];
}

export interface ViewOptions {
  stepOptions?: StepOptions;
  cache?: SimulationCache;
  /** Skip the time-to-promotion simulation (the list table does not show it). */
  estimate?: boolean;
}

const WAIT_TEXT: Record<WaitKind, (message: string, a: EffectiveAnalysis, target: string) => string> = {
  bootstrap: () => "Davy's objects (the canary copy, services, routes) to be observed",
  target: (m) => `the target ${m} to exist`,
  copyReady: (m, a) => `the canary copy ${a.canaryWorkloadName} to be ready: ${m}`,
  noData: (m) => `metric data (onNoData: hold): ${m}`,
  targetRollout: (m, _a, target) => `${target} to roll out the promoted revision: ${m}`,
  finalize: () => "Davy's objects to be removed",
  approval: (m) => `approval by the confirm-rollout webhook ${m}`,
  trafficApproval: (m) => `approval by the confirm-traffic-increase webhook ${m}`,
  promotionApproval: (m) => `approval by the confirm-promotion webhook ${m}`,
  paused: (m) => `a resume (paused by ${m || 'unknown'})`,
};

function progressOf(a: EffectiveAnalysis, state: State): Progress {
  if (a.strategy === 'canary') {
    const rung = a.weights.filter((w) => w <= state.routes.canary).length;
    return { kind: 'weight', weight: state.routes.canary, maxWeight: a.maxWeight, rung, rungs: a.weights.length, mirror: state.routes.mirror };
  }
  return { kind: 'iterations', iteration: state.iterations, iterations: a.iterations, abTesting: a.strategy === 'ab-testing' };
}

function waitingOf(state: State, canary: Canary, a: EffectiveAnalysis, options: StepOptions): Waiting[] {
  const spec = canary.spec ?? {};
  const target = spec.targetRef?.name ?? '';
  if (state.suspended) return [{ kind: 'suspended', text: 'spec.suspend is true: nothing moves until it is false' }];
  if (state.phase === '') {
    const text = state.recoveredFrom === undefined ? 'the stepper to take it in (no davy.dev/state yet)' : 'the stepper to re-initialise the unreadable state from the cluster';
    return [{ kind: 'nextStep', text }];
  }
  const out: Waiting[] = [];
  if (state.wait) {
    const text = WAIT_TEXT[state.wait.kind](state.wait.message, a, target);
    out.push({ kind: state.wait.kind, text, deadline: state.wait.deadline });
  }
  const at = nextStepAt(state, spec, canary.metadata.namespace ?? '', options);
  if (isResting(state.phase)) {
    const revert = state.phase === 'Failed' ? ', a revert to the stable revision, or a retry' : '';
    out.push({ kind: 'revision', text: `a new revision of ${target}${revert}` });
  } else if (at !== undefined) {
    out.push({ kind: 'nextStep', text: 'the next step', at });
  }
  return out;
}

/** The unhandled action, if the annotation carries a nonce the state has not recorded. */
function pendingActionOf(text: string | undefined, state: State): PendingAction | undefined {
  const parsed = parseActionAnnotation(text);
  if (parsed === undefined) return undefined;
  if ('error' in parsed) return parsed;
  if (parsed.nonce === state.lastAction?.nonce) return undefined;
  let at: string | undefined;
  try {
    const raw = JSON.parse(text ?? '') as { at?: unknown };
    if (typeof raw.at === 'string') at = raw.at;
  } catch {
    // parseActionAnnotation accepted it, so it is JSON
  }
  return { ...parsed, ...(at === undefined ? {} : { at }) };
}

/**
 * Without a readable state, what `kubectl get canaries` shows: the stored status if there is one
 * (written by an earlier stepper, or by Flagger before Davy), else nothing but zeros.
 */
function unsteppedStatus(canary: Canary): CanaryStatus {
  if (canary.status?.phase !== undefined) return canary.status;
  return { phase: '', canaryWeight: 0, failedChecks: 0, iterations: 0 };
}

export function canaryView(canary: Canary, now: Date, options: ViewOptions = {}): CanaryView {
  const stepOptions = options.stepOptions ?? {};
  const spec = canary.spec ?? {};
  const namespace = canary.metadata.namespace ?? '';
  const mesh = stepOptions.meshProvider ? { meshProvider: stepOptions.meshProvider } : {};
  const a = effectiveAnalysis(spec, { ...mesh, namespace });
  const annotations = canary.metadata.annotations ?? {};
  const parsed = parseState(annotations[ANNOTATION_STATE]);
  const state = parsed.state;
  const status = parsed.kind === 'ok' ? projectStatus(state, spec, now, stepOptions, canary.metadata.generation) : unsteppedStatus(canary);
  const pendingAction = pendingActionOf(annotations[ANNOTATION_ACTION], state);
  const estimate: Estimate =
    options.estimate === false ? { kind: 'none', why: 'not estimated' } : estimatePromotion(canary, state, now, { stepOptions, ...(options.cache ? { cache: options.cache } : {}) });
  return {
    namespace,
    name: canary.metadata.name ?? '',
    target: `${spec.targetRef?.kind || 'Deployment'}/${spec.targetRef?.name ?? ''}`,
    provider: a.provider,
    strategy: a.strategy,
    stateKind: parsed.kind,
    ...(parsed.kind === 'corrupt' ? { stateError: parsed.reason } : {}),
    status,
    phase: parsed.kind === 'ok' ? state.phase : (status.phase ?? ''),
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.message ? { message: state.message } : {}),
    ...(state.phaseSince ? { phaseSince: state.phaseSince } : {}),
    progress: progressOf(a, state),
    failedChecks: state.failedChecks,
    threshold: a.threshold,
    interval: typeof spec.analysis?.interval === 'string' ? spec.analysis.interval : formatDuration(a.intervalMs),
    intervalMs: a.intervalMs,
    ...(state.revision ? { revision: state.revision } : {}),
    ...(state.stableRevision ? { stableRevision: state.stableRevision } : {}),
    waiting: waitingOf(state, canary, a, stepOptions),
    estimate,
    ...(state.paused ? { paused: state.paused } : {}),
    suspended: state.suspended === true,
    ...(state.lastAction ? { lastAction: state.lastAction } : {}),
    ...(pendingAction ? { pendingAction } : {}),
    checks: state.checks,
    transitions: state.transitions,
  };
}
