// Running step() against the cluster model with a moving clock: the scenario driver the stepper's
// tests use, and `davy simulate` (issue 6): the timeline a Canary would follow, the time to
// promotion and the worst-case time to rollback, with no cluster. It runs the same plan() and
// step() as the stepper, so a simulated timeline and a real one can be compared line by line.

import type { EffectiveMetric } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import {
  freshState,
  plan,
  step,
  type CheckResults,
  type HookCheck,
  type HookResult,
  type MetricCheck,
  type MetricResult,
  type Phase,
  type Routes,
  type State,
  type StepOptions,
} from '../stepper/index.js';
import { apply, newCluster, observe, pushRevision, type NewCluster, type SimCluster } from './cluster.js';

export interface Moment {
  now: number;
  /** Steps taken so far (1-based for the step being prepared). */
  step: number;
  /** Analysis steps (ticks that query metrics) so far, the current one included. */
  analysisStep: number;
  state: State;
  cluster: SimCluster;
}

export interface DriverOptions extends NewCluster {
  stepOptions?: StepOptions;
  /** A webhook's answer; default: approve, pass, and rollback hooks do not signal. */
  hook?: (check: HookCheck, moment: Moment) => HookResult | undefined;
  /** A metric's result; default: a value inside its bounds. */
  metric?: (check: MetricCheck, moment: Moment) => MetricResult | undefined;
}

export interface TimelineEntry {
  at: number;
  phase: Phase;
  routes: Routes;
  iterations: number;
  failedChecks: number;
  events: string[];
  hooks: string[];
  checks: { name: string; value?: number; verdict: string }[];
}

export interface Driver {
  readonly cluster: SimCluster;
  readonly state: State;
  readonly timeline: readonly TimelineEntry[];
  /** Steps at the current time (the runner found something due or new). */
  stepNow(): TimelineEntry;
  /** Moves the clock to the next due time (at least `minGapMs` later) and steps. */
  advance(minGapMs?: number): TimelineEntry;
  /** Advances until `done` holds; false if `maxSteps` ran out first. */
  runUntil(done: (state: State, cluster: SimCluster) => boolean, maxSteps?: number): boolean;
  /** Moves the clock without stepping. */
  wait(ms: number): void;
  pushRevision(revision: string): void;
  act(action: string, nonce: string, by?: string): void;
  remove(): void;
}

export function passingValue(m: EffectiveMetric): number {
  if (m.min !== undefined && m.max !== undefined) return (m.min + m.max) / 2;
  if (m.name === 'request-success-rate') return 100;
  if (m.min !== undefined) return m.min + 1;
  if (m.max !== undefined) return m.max > 0 ? m.max / 2 : m.max - 1;
  return 1;
}

/** A value outside the metric's bounds, or undefined when it has none (it cannot fail on a value). */
export function failingValue(m: EffectiveMetric): number | undefined {
  if (m.min !== undefined) return m.min - Math.max(1, Math.abs(m.min) * 0.4);
  if (m.max !== undefined) return m.max * 2 + 1;
  return undefined;
}

const defaultHook = (check: HookCheck): HookResult =>
  check.type === 'rollback' ? { ok: false, message: 'not signaling' } : { ok: true };
const defaultMetric = (check: MetricCheck): MetricResult => ({ verdict: 'ok', query: check.metric.query ?? check.name, value: passingValue(check.metric) });

export function createDriver(canary: Canary, options: DriverOptions = {}): Driver {
  const cluster = newCluster({ name: canary.metadata.name ?? 'canary', namespace: canary.metadata.namespace ?? 'default', ...options });
  const spec = canary.spec;
  // The simulated stepper has a global notifier unless told otherwise, so every alert a step raises shows.
  const stepOptions: StepOptions = { notifier: true, ...options.stepOptions };
  let state = freshState();
  let due = cluster.now;
  let steps = 0;
  let analysisSteps = 0;
  const timeline: TimelineEntry[] = [];

  const stepNow = (): TimelineEntry => {
    steps += 1;
    const now = new Date(cluster.now);
    const observed = observe(cluster);
    const checks = plan(state, spec, observed, now, stepOptions);
    if (checks.metrics.length > 0) analysisSteps += 1;
    const moment: Moment = { now: cluster.now, step: steps, analysisStep: analysisSteps, state, cluster };
    const results: Required<CheckResults> = { hooks: {}, metrics: {} };
    for (const check of checks.hooks) results.hooks[check.name] = options.hook?.(check, moment) ?? defaultHook(check);
    for (const check of checks.metrics) {
      results.metrics[check.name] = options.metric?.(check, moment) ?? defaultMetric(check);
    }
    const out = step(state, spec, { ...observed, results }, now, stepOptions);
    const eventsBefore = cluster.log.events.length;
    state = out.state;
    apply(cluster, out.actions);
    due = Date.parse(out.due);
    const entry = entryOf(cluster, state, checks.hooks.map((h) => `${h.type}:${h.name}`), results, cluster.log.events.slice(eventsBefore));
    timeline.push(entry);
    return entry;
  };

  const driver: Driver = {
    cluster,
    get state() {
      return state;
    },
    timeline,
    stepNow,
    advance: (minGapMs = 1000) => {
      cluster.now = Math.max(due, cluster.now + minGapMs);
      return stepNow();
    },
    runUntil: (done, maxSteps = 500) => {
      for (let i = 0; i < maxSteps; i += 1) {
        if (done(state, cluster)) return true;
        driver.advance();
      }
      return done(state, cluster);
    },
    wait: (ms) => {
      cluster.now += ms;
    },
    pushRevision: (revision) => pushRevision(cluster, revision),
    act: (action, nonce, by) => {
      cluster.action = { action, nonce, ...(by ? { by } : {}) };
    },
    remove: () => {
      cluster.canary.deletionTimestamp = new Date(cluster.now).toISOString();
    },
  };
  return driver;
}

function entryOf(cluster: SimCluster, state: State, hooks: string[], results: Required<CheckResults>, events: SimCluster['log']['events']): TimelineEntry {
  const checks = Object.entries(results.metrics).map(([name, r]) => ({ name, verdict: r.verdict, ...(r.verdict === 'ok' ? { value: r.value } : {}) }));
  return {
    at: cluster.now,
    phase: state.phase,
    routes: { ...state.routes },
    iterations: state.iterations,
    failedChecks: state.failedChecks,
    events: events.map((e) => e.message),
    hooks,
    checks,
  };
}

export interface SimulateOptions {
  /** From this analysis step on (1-based), every metric fails. */
  failAt?: number;
  stepOptions?: StepOptions;
  timing?: NewCluster['timing'];
  start?: Date;
  maxSteps?: number;
}

export interface Simulation {
  outcome: Phase;
  /** Entries from the new revision on, `at` in ms since it was pushed. */
  timeline: TimelineEntry[];
  /** Revision pushed to a terminal phase. */
  durationMs: number;
  /** Set when the revision was promoted. */
  timeToPromotionMs?: number;
  /** The latest a rollback can come: metrics failing from the last analysis step on. */
  worstCaseRollbackMs?: number;
  analysisSteps: number;
}

const terminal = (s: State) => s.phase === 'Succeeded' || s.phase === 'Failed';

/** The timeline of one release of a new revision of `canary`. */
export function simulate(canary: Canary, options: SimulateOptions = {}): Simulation {
  const first = run(canary, options);
  if (options.failAt !== undefined || first.outcome !== 'Succeeded') return first;
  const worst = run(canary, { ...options, failAt: Math.max(1, first.analysisSteps) });
  return { ...first, ...(worst.outcome === 'Failed' ? { worstCaseRollbackMs: worst.durationMs } : {}) };
}

function run(canary: Canary, options: SimulateOptions): Simulation {
  const failAt = options.failAt;
  const driver = createDriver(canary, {
    ...(options.stepOptions ? { stepOptions: options.stepOptions } : {}),
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.start ? { start: options.start.getTime() } : {}),
    metric: (check, moment) => {
      if (failAt === undefined || moment.analysisStep < failAt) return undefined;
      const value = failingValue(check.metric);
      const query = check.metric.query ?? check.name;
      return value === undefined ? { verdict: 'error', query, message: `Metric query failed for ${check.name}: simulated failure` } : { verdict: 'ok', query, value };
    },
  });
  const maxSteps = options.maxSteps ?? 1000;
  driver.stepNow();
  driver.runUntil((s) => s.phase === 'Initialized' || s.phase === 'Failed', 20);
  const pushedAt = driver.cluster.now;
  const from = driver.timeline.length;
  driver.pushRevision('rev-2');
  driver.stepNow();
  driver.runUntil(terminal, maxSteps);
  const timeline = driver.timeline.slice(from).map((e) => ({ ...e, at: e.at - pushedAt }));
  const durationMs = driver.cluster.now - pushedAt;
  const analysisSteps = timeline.filter((e) => e.checks.length > 0).length;
  const outcome = driver.state.phase;
  return { outcome, timeline, durationMs, analysisSteps, ...(outcome === 'Succeeded' ? { timeToPromotionMs: durationMs } : {}) };
}
