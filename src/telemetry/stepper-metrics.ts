// The stepper's Prometheus instruments, on a Registry this object owns. Flagger's canary metrics
// keep their names, labels and meanings (flagger-compat §10.1) so existing dashboards keep working;
// Davy's own describe the passes. A stepper run by the CronJob lives for one window, so these are
// scraped only with --metrics-port while it runs; the JSON logs carry the same facts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface StepperMetricsOptions {
  /** Process and Node.js runtime metrics on the same registry (default true). */
  defaultMetrics?: boolean;
}

/** Flagger's flagger_canary_status values. */
export const CANARY_STATUS = { progressing: 0, other: 1, failed: 2 } as const;

export interface CanaryGauges {
  /** The target's name, as Flagger labels it. */
  target: string;
  namespace: string;
  phase: string;
  primaryWeight: number;
  canaryWeight: number;
}

export interface RunEnd {
  target: string;
  namespace: string;
  strategy: string;
  /** completed, or skipped (skipAnalysis). */
  analysisStatus: 'completed' | 'skipped';
}

// Passes list and step in well under a second on small clusters; checks can take the hooks' timeouts.
const PASS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// A looping stepper is late by a pass's length; a CronJob's stepper by up to its schedule's minute
// and the Job's start-up, more when a run overlaps the next (concurrencyPolicy: Forbid).
const LATENESS_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class StepperMetrics {
  readonly registry = new Registry();
  private readonly status: Gauge<'name' | 'namespace'>;
  private readonly weight: Gauge<'workload' | 'namespace'>;
  private readonly total: Gauge<'namespace'>;
  private readonly duration: Histogram<'name' | 'namespace'>;
  private readonly analysis: Gauge<'name' | 'namespace' | 'metric'>;
  private readonly successes: Counter<'name' | 'namespace' | 'deployment_strategy' | 'analysis_status'>;
  private readonly failures: Counter<'name' | 'namespace' | 'deployment_strategy' | 'analysis_status'>;
  private readonly passDuration: Histogram<'scope'>;
  private readonly stepped: Counter;
  private readonly skipped: Counter<'reason'>;
  private readonly requests: Counter<'verb' | 'kind'>;
  private readonly lateness: Histogram;
  private readonly watches: Gauge<'state'>;
  private readonly heard: Counter<'kind'>;

  constructor(options: StepperMetricsOptions = {}) {
    const registers = [this.registry];
    this.status = new Gauge({ name: 'flagger_canary_status', help: 'Canary status: 0 Progressing, 2 Failed, 1 any other phase.', labelNames: ['name', 'namespace'], registers });
    this.weight = new Gauge({
      name: 'flagger_canary_weight',
      help: 'Traffic weights: workload <target>-primary is the stable side, <target> the canary side (Flagger\'s labels).',
      labelNames: ['workload', 'namespace'],
      registers,
    });
    this.total = new Gauge({ name: 'flagger_canary_total', help: 'Canaries per namespace (in this stepper\'s shard).', labelNames: ['namespace'], registers });
    this.duration = new Histogram({ name: 'flagger_canary_duration_seconds', help: 'Duration of analysis ticks: checks and the step.', labelNames: ['name', 'namespace'], registers });
    this.analysis = new Gauge({ name: 'flagger_canary_metric_analysis', help: 'The last value of each analysis metric.', labelNames: ['name', 'namespace', 'metric'], registers });
    const outcomeLabels = ['name', 'namespace', 'deployment_strategy', 'analysis_status'] as const;
    this.successes = new Counter({ name: 'flagger_canary_successes_total', help: 'Promotions completed.', labelNames: outcomeLabels, registers });
    this.failures = new Counter({ name: 'flagger_canary_failures_total', help: 'Rollbacks and failed promotions.', labelNames: outcomeLabels, registers });
    this.passDuration = new Histogram({
      name: 'davy_stepper_pass_duration_seconds',
      help: 'Duration of one stepper pass, by scope: whole (every namespace of the stepper) or namespace (one whose runs came due).',
      labelNames: ['scope'],
      buckets: PASS_BUCKETS,
      registers,
    });
    this.stepped = new Counter({ name: 'davy_stepper_canaries_stepped_total', help: 'Canaries whose state was stepped and written.', registers });
    this.skipped = new Counter({
      name: 'davy_stepper_canaries_skipped_total',
      help: 'Canaries not stepped in a pass, by reason: conflict (another stepper moved first), invalid, error, aborted.',
      labelNames: ['reason'],
      registers,
    });
    this.requests = new Counter({ name: 'davy_stepper_api_requests_total', help: 'Kubernetes API requests, by verb and kind.', labelNames: ['verb', 'kind'], registers });
    this.lateness = new Histogram({
      name: 'davy_stepper_step_lateness_seconds',
      help: 'How late a canary\'s periodic step ran after it came due (lastStepAt + its interval).',
      buckets: LATENESS_BUCKETS,
      registers,
    });
    this.watches = new Gauge({
      name: 'davy_stepper_watches',
      help: 'The stepper\'s watches (Canaries and canaried workloads), by state: running, or down (being retried).',
      labelNames: ['state'],
      registers,
    });
    this.heard = new Counter({
      name: 'davy_stepper_changes_heard_total',
      help: 'Changes heard through the watches that started a pass over their namespace, by kind.',
      labelNames: ['kind'],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** For NodeKubeClient's onRequest. */
  readonly apiRequest = (verb: string, kind: string): void => {
    this.requests.inc({ verb, kind });
  };

  /** A whole pass grows with every canary in reach, a namespace pass with its namespace's. */
  pass(scope: 'whole' | 'namespace', seconds: number): void {
    this.passDuration.observe({ scope }, seconds);
  }

  /** The change feed's watches: how many run, and how many are being retried. */
  watching(running: number, down: number): void {
    this.watches.set({ state: 'running' }, running);
    this.watches.set({ state: 'down' }, down);
  }

  changeHeard(kind: string): void {
    this.heard.inc({ kind });
  }

  /** A periodic step ran `seconds` after it came due. */
  stepLateness(seconds: number): void {
    this.lateness.observe(Math.max(0, seconds));
  }

  canaryStepped(): void {
    this.stepped.inc();
  }

  canarySkipped(reason: 'conflict' | 'invalid' | 'error' | 'aborted'): void {
    this.skipped.inc({ reason });
  }

  /** Replaces the per-namespace totals with this pass's counts. */
  totals(perNamespace: Readonly<Record<string, number>>): void {
    this.total.reset();
    for (const [namespace, count] of Object.entries(perNamespace)) this.total.set({ namespace }, count);
  }

  canary(g: CanaryGauges): void {
    const value = g.phase === 'Progressing' ? CANARY_STATUS.progressing : g.phase === 'Failed' ? CANARY_STATUS.failed : CANARY_STATUS.other;
    this.status.set({ name: g.target, namespace: g.namespace }, value);
    this.weight.set({ workload: `${g.target}-primary`, namespace: g.namespace }, g.primaryWeight);
    this.weight.set({ workload: g.target, namespace: g.namespace }, g.canaryWeight);
  }

  analysisTick(target: string, namespace: string, seconds: number): void {
    this.duration.observe({ name: target, namespace }, seconds);
  }

  metricValue(target: string, namespace: string, metric: string, value: number): void {
    this.analysis.set({ name: target, namespace, metric }, value);
  }

  runEnded(outcome: 'succeeded' | 'failed', end: RunEnd): void {
    const labels = { name: end.target, namespace: end.namespace, deployment_strategy: end.strategy, analysis_status: end.analysisStatus };
    (outcome === 'succeeded' ? this.successes : this.failures).inc(labels);
  }

  /** The exposition text for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
