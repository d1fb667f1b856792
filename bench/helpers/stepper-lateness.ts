// Lateness of each step against its interval, from the states a canary went through. A periodic
// step is due at the previous state's lastStepAt plus the phase's cadence (the analysis interval;
// the cluster poll while Initializing), and step() records its own time as the new lastStepAt,
// so lateness = new lastStepAt - due. Steps are told apart:
//   - "new revision": the first step out of a resting phase, taken as soon as the revision was
//     seen (its delay is counted from the moment the benchmark's image change was answered);
//   - "after a wait": the previous state waited on the cluster (a copy or rollout not ready yet);
//     such ticks are not written while the wait goes on, so the next written step measures the
//     wait, not the schedule;
//   - "periodic": everything else, the figure the target is about.
import type { State } from '../../src/stepper/index.js';

const RESTING = new Set(['', 'Initialized', 'Succeeded', 'Failed']);
const CLUSTER_POLL_MS = 5_000; // StepOptions.pollIntervalMs' default, which `davy step` keeps

export interface StepTiming {
  canary: string;
  kind: 'periodic' | 'newRevision' | 'afterWait';
  from: string;
  to: string;
  /** periodic and afterWait: ms after the step was due; newRevision: ms after the image change. */
  ms: number;
}

/** As the stepper's cadence (src/stepper/step.ts): the poll period while a phase waits on the cluster alone. */
function cadenceMs(state: State, intervalMs: number): number {
  const converging = state.phase === 'Initializing' || state.phase === 'Terminating' || (state.phase === 'Promoting' && !state.rolledOut);
  return converging ? Math.min(intervalMs, CLUSTER_POLL_MS) : intervalMs;
}

/** The step timings of one canary's states after `triggeredAt` (ms since the epoch). */
export function stepTimings(canary: string, states: readonly State[], intervalMs: number, triggeredAt: number): StepTiming[] {
  const timings: StepTiming[] = [];
  for (let i = 1; i < states.length; i += 1) {
    const prev = states[i - 1]!;
    const cur = states[i]!;
    if (!cur.lastStepAt || cur.lastStepAt === prev.lastStepAt) continue;
    const at = Date.parse(cur.lastStepAt);
    if (at < triggeredAt) continue;
    const step = { canary, from: prev.phase, to: `${cur.phase}${cur.iterations ? ` ${cur.iterations}` : ''}` };
    if (RESTING.has(prev.phase) || !prev.lastStepAt) {
      timings.push({ ...step, kind: 'newRevision', ms: at - triggeredAt });
      continue;
    }
    const due = Date.parse(prev.lastStepAt) + cadenceMs(prev, intervalMs);
    timings.push({ ...step, kind: prev.wait ? 'afterWait' : 'periodic', ms: at - due });
  }
  return timings;
}

/** The run finished: Succeeded with a promotion after the trigger. */
export function promotedAfter(state: State | undefined, triggeredAt: number): boolean {
  return state?.phase === 'Succeeded' && state.lastPromotion !== undefined && Date.parse(state.lastPromotion.at) >= triggeredAt;
}

/** When the run ended (the Succeeded transition), ms since the epoch. */
export function succeededAt(state: State | undefined): number | undefined {
  const t = state?.transitions.findLast((x) => x.to === 'Succeeded');
  return t ? Date.parse(t.at) : undefined;
}
