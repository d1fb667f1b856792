// `davy simulate`'s report, as lines and as JSON: the timeline simulate() returns (time offset,
// weight or iteration, hooks called, checks, events), the time to promotion and the worst-case
// time to rollback. Pure: a Canary and its Simulation in, text out.

import { effectiveAnalysis, type EffectiveAnalysis } from '../api/defaults.js';
import { formatDuration } from '../api/durations.js';
import type { ProviderName } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { Simulation, TimelineEntry } from '../simulate/index.js';
import type { Paint } from './format/ansi.js';
import { checkSummary, withinBounds } from './format/checks.js';
import { offset, span } from './format/time.js';

export interface SimulatedCheck {
  name: string;
  value?: number;
  min?: number;
  max?: number;
  /** ok, failed (a value out of bounds), noData or error. */
  verdict: string;
}

export interface ReportEntry {
  at: number;
  phase: string;
  weight: number;
  mirror: boolean;
  iterations: number;
  failedChecks: number;
  /** 1-based number of the analysis step (a step that queries metrics): what --fail-at counts. */
  analysisStep?: number;
  hooks: { type: string; name: string }[];
  checks: SimulatedCheck[];
  events: string[];
}

export interface SimulationReport {
  namespace: string;
  name: string;
  provider: string;
  strategy: string;
  /** Blue/green and A/B: the iterations the analysis runs; 0 for a weighted canary. */
  iterations: number;
  failAt?: number;
  outcome: string;
  durationMs: number;
  timeToPromotionMs?: number;
  worstCaseRollbackMs?: number;
  analysisSteps: number;
  timeline: ReportEntry[];
}

function judged(a: EffectiveAnalysis, check: TimelineEntry['checks'][number]): SimulatedCheck {
  const metric = a.metrics.find((m) => m.name === check.name);
  const bounds = {
    ...(metric?.min === undefined ? {} : { min: metric.min }),
    ...(metric?.max === undefined ? {} : { max: metric.max }),
  };
  const verdict = check.verdict === 'ok' && check.value !== undefined && !withinBounds(check.value, metric?.min, metric?.max) ? 'failed' : check.verdict;
  return { name: check.name, ...(check.value === undefined ? {} : { value: check.value }), ...bounds, verdict };
}

export function simulationReport(
  canary: Canary,
  sim: Simulation,
  options: { failAt?: number; meshProvider?: ProviderName } = {},
): SimulationReport {
  const namespace = canary.metadata.namespace ?? 'default';
  const mesh = options.meshProvider ? { meshProvider: options.meshProvider } : {};
  const a = effectiveAnalysis(canary.spec, { ...mesh, namespace });
  let step = 0;
  const timeline = sim.timeline.map((e): ReportEntry => {
    if (e.checks.length > 0) step += 1;
    return {
      at: e.at,
      phase: e.phase,
      weight: e.routes.canary,
      mirror: e.routes.mirror,
      iterations: e.iterations,
      failedChecks: e.failedChecks,
      ...(e.checks.length > 0 ? { analysisStep: step } : {}),
      hooks: e.hooks.map((h) => ({ type: h.slice(0, h.indexOf(':')), name: h.slice(h.indexOf(':') + 1) })),
      checks: e.checks.map((c) => judged(a, c)),
      events: e.events,
    };
  });
  return {
    namespace,
    name: canary.metadata.name ?? '',
    provider: a.provider,
    strategy: a.strategy,
    iterations: a.iterations,
    ...(options.failAt === undefined ? {} : { failAt: options.failAt }),
    outcome: sim.outcome,
    durationMs: sim.durationMs,
    ...(sim.timeToPromotionMs === undefined ? {} : { timeToPromotionMs: sim.timeToPromotionMs }),
    ...(sim.worstCaseRollbackMs === undefined ? {} : { worstCaseRollbackMs: sim.worstCaseRollbackMs }),
    analysisSteps: sim.analysisSteps,
    timeline,
  };
}

function describeAnalysis(canary: Canary, r: SimulationReport): string {
  const a = effectiveAnalysis(canary.spec, { meshProvider: r.provider as ProviderName, namespace: r.namespace });
  const shape =
    r.strategy === 'canary'
      ? `weights ${a.weights.join(', ') || 'none'}`
      : `${a.iterations} iteration${a.iterations === 1 ? '' : 's'}`;
  return `Canary ${r.namespace}/${r.name}: ${r.provider}, ${r.strategy} (${shape}), interval ${formatDuration(a.intervalMs)}, threshold ${a.threshold}`;
}

function position(r: SimulationReport, e: ReportEntry): string {
  if (r.strategy === 'canary') return `weight ${e.weight}%${e.mirror ? ', mirrored' : ''}`;
  const traffic = e.weight > 0 ? `, canary ${e.weight}%` : '';
  return `iteration ${e.iterations}/${r.iterations}${traffic}`;
}

const TIME_WIDTH = 9;
const PHASE_WIDTH = 14;

function entryLines(r: SimulationReport, e: ReportEntry, paint: Paint): string[] {
  const failed = e.failedChecks > 0 ? paint.red(`  failed checks ${e.failedChecks}`) : '';
  const step = e.analysisStep === undefined ? '' : paint.dim(`  analysis step ${e.analysisStep}`);
  const head = `${offset(e.at).padEnd(TIME_WIDTH)}${paint.bold(e.phase.padEnd(PHASE_WIDTH))}${position(r, e)}${failed}${step}`;
  const detail = (kind: string, text: string): string => `${' '.repeat(TIME_WIDTH)}${kind.padEnd(7)}${text}`;
  return [
    head,
    ...e.hooks.map((h) => detail('hook', `${h.type} ${h.name}`)),
    ...e.checks.map((c) => detail('check', checkSummary(paint, c))),
    ...e.events.map((ev) => detail('event', ev)),
  ];
}

function assumptions(r: SimulationReport): string {
  const checks = r.failAt === undefined ? 'every check passes' : `every metric fails from analysis step ${r.failAt} on`;
  return `Simulated: ${checks}; webhooks approve; the canary copy and rollouts are ready at once (times are lower bounds).`;
}

export function renderSimulation(canary: Canary, r: SimulationReport, paint: Paint): string[] {
  const outcome = r.outcome === 'Succeeded' ? paint.green(r.outcome) : r.outcome === 'Failed' ? paint.red(r.outcome) : paint.yellow(r.outcome);
  const lines = [describeAnalysis(canary, r), assumptions(r), '', ...r.timeline.flatMap((e) => entryLines(r, e, paint)), ''];
  lines.push(`Outcome:                      ${outcome} after ${span(r.durationMs)}`);
  lines.push(`Time to promotion:            ${r.timeToPromotionMs === undefined ? 'none (not promoted)' : span(r.timeToPromotionMs)}`);
  if (r.worstCaseRollbackMs !== undefined) {
    lines.push(`Worst-case time to rollback:  ${span(r.worstCaseRollbackMs)} (every metric failing from analysis step ${r.analysisSteps}, the last, on)`);
  } else if (r.failAt !== undefined && r.outcome === 'Failed') {
    lines.push(`Time to rollback:             ${span(r.durationMs)} (every metric failing from analysis step ${r.failAt} on)`);
  }
  if (r.failAt !== undefined && r.failAt > r.analysisSteps && r.outcome === 'Succeeded') {
    lines.push(paint.yellow(`Note: --fail-at ${r.failAt} never comes: this analysis has ${r.analysisSteps} analysis steps.`));
  }
  return lines;
}
