// The Canary's status as a projection of the state, for two kinds of reader:
//
// - Flagger's users: phase, canaryWeight, failedChecks, iterations, lastTransitionTime and the
//   `Promoted` condition (`kubectl wait canary/x --for=condition=promoted`, flagger-compat §2.1);
// - GitOps tools that health-check with kstatus (sigs.k8s.io/cli-utils/pkg/kstatus, as Flux does):
//   status.observedGeneration, and the conditions it reads. kstatus says InProgress while
//   `Reconciling` is True, Failed while `Stalled` is True, and otherwise follows `Ready` (True is
//   Current). Like Flux's own controllers, Davy writes Reconciling and Stalled only while True.
//
// Every timestamp comes from the state, never from `now` alone, so a pass that changes nothing
// projects the same status and the runner writes nothing.

import { strategyOf } from '../api/strategy.js';
import type { CanaryCondition, CanarySpec, CanaryStatus, ConditionStatus } from '../api/types.js';
import { leakMessage, leakReason } from './hold-leak.js';
import type { Phase, State } from './state.js';
import type { StepOptions } from './options.js';

interface PromotedCondition {
  status: ConditionStatus;
  message: (kind: string) => string;
}

const initializing: PromotedCondition = { status: 'Unknown', message: (kind) => `New ${kind} detected, starting initialization.` };
const approval: PromotedCondition = { status: 'Unknown', message: () => 'Waiting for approval.' };

/**
 * The `Promoted` condition per phase, Flagger's words. Terminating gets its own (Flagger falls
 * through to the initialization message, §15.4).
 */
const PROMOTED: Record<Phase, PromotedCondition> = {
  '': initializing,
  Initializing: initializing,
  Initialized: { status: 'True', message: (kind) => `${kind} initialization completed.` },
  Waiting: approval,
  WaitingPromotion: approval,
  Progressing: { status: 'Unknown', message: () => 'New revision detected, progressing canary analysis.' },
  Promoting: { status: 'Unknown', message: () => 'Canary analysis completed, starting primary rolling update.' },
  Finalising: { status: 'Unknown', message: () => 'Canary analysis completed, routing all traffic to primary.' },
  Succeeded: { status: 'True', message: () => 'Canary analysis completed successfully, promotion finished.' },
  Failed: { status: 'False', message: (kind) => `Canary analysis failed, ${kind} scaled to zero.` },
  Terminating: { status: 'Unknown', message: () => 'Canary is being deleted: Davy removes its objects and releases its hold.' },
};

export const promotedStatus = (phase: Phase): ConditionStatus => PROMOTED[phase].status;

/**
 * What a health check should conclude in each phase: `progressing` until the canary rests,
 * `succeeded` when the stable revision serves everything, `failed` after a rollback (until a new
 * revision starts another run). Waiting for approval is progressing: the release is not done.
 */
export type Readiness = 'progressing' | 'succeeded' | 'failed';

export function readinessOf(phase: Phase): Readiness {
  if (phase === 'Initialized' || phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  return 'progressing';
}

/** The `Ready` condition's status and reason per readiness, in Flux's vocabulary. */
const READY: Record<Readiness, { status: ConditionStatus; reason: string }> = {
  progressing: { status: 'Unknown', reason: 'Progressing' },
  succeeded: { status: 'True', reason: 'Succeeded' },
  failed: { status: 'False', reason: 'Failed' },
};

/**
 * When a condition's status last changed: the oldest transition in the latest run of phases that
 * give it the same status (`statusOf` maps a phase to that status).
 */
function conditionSince(state: State, statusOf: (phase: Phase) => string, fallback: string): string {
  const status = statusOf(state.phase);
  let since = state.phaseSince ?? fallback;
  for (let i = state.transitions.length - 1; i >= 0; i -= 1) {
    const record = state.transitions[i];
    if (!record || statusOf(record.to) !== status) break;
    since = record.at;
    if (statusOf(record.from) !== status) break;
  }
  return since;
}

/** Promoted (Flagger's), then Ready, then Reconciling or Stalled while either is True. */
function conditionsOf(state: State, kind: string, at: string, target: string): CanaryCondition[] {
  const message = PROMOTED[state.phase].message(kind);
  const lastUpdateTime = state.phaseSince ?? at;
  const promoted: CanaryCondition = {
    type: 'Promoted',
    status: promotedStatus(state.phase),
    lastUpdateTime,
    lastTransitionTime: conditionSince(state, promotedStatus, at),
    reason: state.phase || 'Initializing',
    message,
  };
  const readiness = readinessOf(state.phase);
  const since = conditionSince(state, readinessOf, at);
  const ready: CanaryCondition = { type: 'Ready', ...READY[readiness], lastUpdateTime, lastTransitionTime: since, message };
  const conditions = [promoted, ready];
  // The phase is the finer reason: Progressing, WaitingPromotion, Promoting ... or Failed.
  const abnormal = { status: 'True' as const, lastUpdateTime, lastTransitionTime: since, reason: state.phase || 'Initializing', message };
  if (readiness === 'progressing') conditions.push({ type: 'Reconciling', ...abnormal });
  if (readiness === 'failed') conditions.push({ type: 'Stalled', ...abnormal });
  const leak = state.holdLeak;
  if (leak) {
    conditions.push({
      type: 'HoldLeaked', status: 'True', lastUpdateTime: leak.since, lastTransitionTime: leak.since,
      reason: leakReason(state, leak.revision), message: leakMessage(state, leak, target),
    });
  }
  return conditions;
}

/**
 * The status for a Canary in `state`. `generation` is the Canary's metadata.generation, the spec
 * this status answers (kstatus reads a lagging status.observedGeneration as InProgress).
 */
export function projectStatus(
  state: State,
  spec: CanarySpec,
  now: Date,
  options: StepOptions = {},
  generation?: number,
): CanaryStatus {
  const at = now.toISOString();
  const kind = spec.targetRef?.kind || 'Deployment';
  const strategy = strategyOf(spec, options.meshProvider);
  const revision = state.revision ?? state.stableRevision;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: state.phase,
    canaryWeight: strategy === 'ab-testing' ? 0 : state.routes.canary,
    failedChecks: state.failedChecks,
    iterations: state.iterations,
    trackedConfigs: { ...state.trackedConfigs },
    ...(revision === undefined ? {} : { lastAppliedSpec: revision }),
    ...(state.stableRevision === undefined ? {} : { lastPromotedSpec: state.stableRevision }),
    lastTransitionTime: state.updatedAt ?? state.phaseSince ?? at,
    ...(state.cookies?.canary ? { sessionAffinityCookie: state.cookies.canary } : {}),
    ...(state.cookies?.primary ? { primarySessionAffinityCookie: state.cookies.primary } : {}),
    ...(state.cookies?.expired ? { previousSessionAffinityCookie: state.cookies.expired } : {}),
    conditions: conditionsOf(state, kind, at, spec.targetRef?.name ?? ''),
  };
}
