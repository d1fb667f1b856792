// Flagger's status fields as a projection of the state, for `kubectl get canaries` and
// `kubectl wait canary/x --for=condition=promoted` (flagger-compat §2.1).

import { strategyOf } from '../api/strategy.js';
import type { CanaryCondition, CanarySpec, CanaryStatus, ConditionStatus } from '../api/types.js';
import type { Phase, State } from './state.js';
import type { StepOptions } from './tick.js';

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

/** When the condition's status last changed: the oldest transition in the latest run of equal status. */
function conditionSince(state: State, fallback: string): string {
  const status = promotedStatus(state.phase);
  let since = state.phaseSince ?? fallback;
  for (let i = state.transitions.length - 1; i >= 0; i -= 1) {
    const record = state.transitions[i];
    if (!record || promotedStatus(record.to) !== status) break;
    since = record.at;
    if (promotedStatus(record.from) !== status) break;
  }
  return since;
}

export function projectStatus(state: State, spec: CanarySpec, now: Date, options: StepOptions = {}): CanaryStatus {
  const at = now.toISOString();
  const kind = spec.targetRef?.kind || 'Deployment';
  const strategy = strategyOf(spec, options.meshProvider);
  const condition: CanaryCondition = {
    type: 'Promoted',
    status: promotedStatus(state.phase),
    lastUpdateTime: state.phaseSince ?? at,
    lastTransitionTime: conditionSince(state, at),
    reason: state.phase || 'Initializing',
    message: PROMOTED[state.phase].message(kind),
  };
  const revision = state.revision ?? state.stableRevision;
  return {
    phase: state.phase,
    canaryWeight: strategy === 'ab-testing' ? 0 : state.routes.canary,
    failedChecks: state.failedChecks,
    iterations: state.iterations,
    trackedConfigs: { ...state.trackedConfigs },
    ...(revision === undefined ? {} : { lastAppliedSpec: revision }),
    ...(state.stableRevision === undefined ? {} : { lastPromotedSpec: state.stableRevision }),
    lastTransitionTime: state.updatedAt ?? state.phaseSince ?? at,
    conditions: [condition],
  };
}
