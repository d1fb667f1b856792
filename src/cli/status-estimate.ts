// How long until a running canary is promoted, if every remaining check passes. Rather than a
// second copy of the stepper's arithmetic, it simulates a release of the same Canary (simulate()
// runs the very step() the stepper runs), finds the simulated step that matches where the real
// canary stands (phase, weight, iteration), and counts the simulated time left from there. The
// model's copies and rollouts are ready at once, so the figure is a lower bound.

import type { Canary } from '../api/types.js';
import { simulate, type Simulation, type TimelineEntry } from '../simulate/index.js';
import type { State, StepOptions } from '../stepper/index.js';

export type Estimate =
  /** Promotion expected at `at` (`remainingMs` after now). */
  | { kind: 'eta'; at: string; remainingMs: number }
  /** Waiting on people (an approval gate): promotion comes `afterMs` after they say yes. */
  | { kind: 'afterApproval'; afterMs: number }
  | { kind: 'none'; why: string };

/** Simulations by Canary spec: a watch redraws every 2s, the spec rarely changes. */
export type SimulationCache = Map<string, Simulation | string>;

export interface EstimateOptions {
  stepOptions?: StepOptions;
  cache?: SimulationCache;
}

function simulation(canary: Canary, options: EstimateOptions): Simulation | string {
  const key = JSON.stringify([canary.metadata.name, canary.metadata.namespace, canary.spec, options.stepOptions ?? {}]);
  const cached = options.cache?.get(key);
  if (cached !== undefined) return cached;
  let result: Simulation | string;
  try {
    result = simulate(canary, options.stepOptions ? { stepOptions: options.stepOptions } : {});
  } catch (error) {
    result = `the simulation failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  options.cache?.set(key, result);
  return result;
}

/** The simulated step that stands where the real canary stands; undefined when none does. */
function matching(timeline: readonly TimelineEntry[], state: State): TimelineEntry | undefined {
  const same = (entry: TimelineEntry): boolean =>
    entry.phase === state.phase && entry.routes.canary === state.routes.canary && entry.iterations === state.iterations;
  const candidates = timeline.filter(same);
  // Halted steps repeat a weight: the last simulated step at that weight is the one that advances.
  if (candidates.length > 0) return candidates.at(-1);
  if (state.phase === 'Promoting' || state.phase === 'Finalising') return timeline.find((e) => e.phase === state.phase);
  return undefined;
}

const NOT_RUNNING: Partial<Record<State['phase'], string>> = {
  '': 'not stepped yet',
  Initializing: 'initializing',
  Initialized: 'no revision under analysis',
  Succeeded: 'promoted',
  Failed: 'rolled back',
  Terminating: 'being deleted',
};

export function estimatePromotion(canary: Canary, state: State, now: Date, options: EstimateOptions = {}): Estimate {
  const idle = NOT_RUNNING[state.phase];
  if (idle !== undefined) return { kind: 'none', why: idle };
  if (state.suspended) return { kind: 'none', why: 'suspended' };
  if (state.paused) return { kind: 'none', why: 'paused until resumed' };
  const sim = simulation(canary, options);
  if (typeof sim === 'string') return { kind: 'none', why: sim };
  if (sim.timeToPromotionMs === undefined) return { kind: 'none', why: `a release of this spec ends ${sim.outcome} even when every check passes` };
  const total = sim.timeToPromotionMs;
  if (state.phase === 'Waiting') return { kind: 'afterApproval', afterMs: total };
  if (state.phase === 'WaitingPromotion') {
    const promoting = sim.timeline.find((e) => e.phase === 'Promoting');
    return { kind: 'afterApproval', afterMs: promoting ? total - promoting.at : 0 };
  }
  const entry = matching(sim.timeline, state);
  if (!entry) return { kind: 'none', why: `no simulated step matches ${state.phase} at weight ${state.routes.canary}` };
  // The rest starts with the next step: when it is overdue (no stepper ran), it is taken as now.
  const next = sim.timeline[sim.timeline.indexOf(entry) + 1];
  const gap = next ? next.at - entry.at : 0;
  const parsed = Date.parse(state.lastStepAt ?? state.phaseSince ?? '');
  const base = Number.isNaN(parsed) ? now.getTime() : parsed;
  const at = Math.max(base + gap, now.getTime()) + (total - entry.at - gap);
  return { kind: 'eta', at: new Date(at).toISOString(), remainingMs: at - now.getTime() };
}
