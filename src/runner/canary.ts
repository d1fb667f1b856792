// One canary in a pass: observe, plan, run the checks, step, write the state (guarded by the
// resourceVersion read in the LIST; a conflict means another stepper moved first), project the
// status, apply the actions, and acknowledge what the outbox delivered. Decisions are the pure
// stepper's; this file only moves data between it and the cluster.
import { ANNOTATION_STATE, FINALIZER } from '../api/keys.js';
import { canonicalJson } from '../api/revision.js';
import type { Canary } from '../api/types.js';
import { formatFieldError } from '../api/field-errors.js';
import { validateResource } from '../api/validate.js';
import { ConflictError, type KubeObject } from '../kube/client.js';
import { nextStepAt, parseState, plan, projectStatus, serializeState, step, type Observations, type State, type StepResult } from '../stepper/index.js';
import { applyActions, applyCalls, applyTargets, CanaryMovedError } from './apply.js';
import { hasChecks, runChecks } from './checks.js';
import type { MetricCheck as MetricOutcome } from '../metrics/evaluate.js';
import { carryUnsent, reportProblem, resendUnsent } from './events.js';
import { observe } from './observe.js';
import { ProblemError, scopeOf, type ApplyContext, type CanaryReport, type CanaryScope, type PassOptions, type RunnerDeps } from './types.js';
import type { ClusterView } from './view.js';

export interface CanaryPass {
  deps: RunnerDeps;
  options: PassOptions;
  view: ClusterView;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function stepCanary(canary: Canary, pass: CanaryPass): Promise<CanaryReport> {
  const { deps, options, view } = pass;
  const report = { namespace: canary.metadata.namespace ?? '', name: canary.metadata.name ?? '' };
  const sinks = { cloudEvents: deps.cloudEventsSink !== undefined, notifier: deps.notifier !== undefined };
  const scope = scopeOf(canary, view, deps.logger, options, sinks);
  const deleting = canary.metadata.deletionTimestamp !== undefined;
  const invalid = typeof scope === 'string' ? [scope] : invalidity(canary, options);
  // A Canary being deleted is still finalized when Davy can route it: its objects must go.
  if (typeof scope === 'string' || (invalid.length > 0 && !deleting)) {
    const log = deps.logger.child({ canary: report.name, namespace: report.namespace });
    const message = `Canary spec is invalid, not stepped: ${invalid.join('; ')}`;
    log.warn(message);
    await reportProblem({ canary, log, view }, deps, message, deps.clock());
    return { ...report, outcome: 'invalid', message };
  }
  try {
    return { ...report, ...(await run(scope, pass)) };
  } catch (error) {
    if (error instanceof CanaryMovedError) {
      scope.log.info('another stepper moved this canary first; skipped until the next pass', { reason: error.message });
      return { ...report, outcome: 'conflict', message: error.message };
    }
    scope.log.error('canary not converged; the next pass retries', { error });
    if (error instanceof ProblemError) await reportProblem(scope, deps, `${error.code}: ${error.message}`, deps.clock());
    return { ...report, outcome: 'error', message: describe(error) };
  }
}

function invalidity(canary: Canary, options: PassOptions): string[] {
  const result = validateResource(canary, options.meshProvider ? { meshProvider: options.meshProvider } : {});
  return result.errors.map(formatFieldError);
}

type Outcome = Omit<CanaryReport, 'namespace' | 'name'>;

async function run(scope: CanaryScope, pass: CanaryPass): Promise<Outcome> {
  const { deps, options } = pass;
  const { canary, log } = scope;
  const spec = canary.spec;
  const parsed = parseState(canary.metadata.annotations?.[ANNOTATION_STATE]);
  if (parsed.kind === 'corrupt') log.warn('the state annotation is unreadable; the stepper re-initialises from the cluster', { reason: parsed.reason });
  const observed = await observe(scope);
  if (observed.actionError) log.warn('the action annotation is ignored', { reason: observed.actionError });
  const deleting = canary.metadata.deletionTimestamp !== undefined;
  if (!observed.configs.ok && !deleting) throw ProblemError.of(observed.configs.error);
  const obs = observed.observations;
  const now = deps.clock();
  const started = Date.now();
  // Events a past pass could not write go first; the step carries what is still unsent.
  const before = await resendUnsent(scope, parsed.state);
  const checks = plan(before, spec, obs, now, scope.stepOptions);
  let results: Observations['results'];
  if (hasChecks(checks)) {
    if (options.signal?.aborted) return { outcome: 'aborted', phase: parsed.state.phase };
    const ran = await runChecks(scope, checks, deps, {
      ...(options.metricTimeoutMs ? { metricTimeoutMs: options.metricTimeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Answers cut short by a shutdown are not answers: nothing is decided from them.
    if (options.signal?.aborted) return { outcome: 'aborted', phase: parsed.state.phase };
    results = ran.results;
    metricValues(scope, deps, ran.metrics);
  }
  const out = step(before, spec, { ...obs, ...(results ? { results } : {}) }, now, scope.stepOptions);
  lateness(deps, before, out, nextStepAt(before, spec, obs.canary.namespace, scope.stepOptions), now);
  if (results) deps.metrics?.analysisTick(scope.canary.spec.targetRef.name, scope.targetRef.namespace ?? '', (Date.now() - started) / 1000);
  // Carried Events written at the start of the pass changed the state too (they leave it).
  const changed = out.changed || before !== parsed.state;
  const ctx: ApplyContext = { scope, deps, state: out.state, configs: obs.trackedConfigs, now, canary, unsent: [] };
  if (changed && !(await writeState(ctx, out.state))) {
    return { outcome: 'conflict', phase: parsed.state.phase, message: 'another stepper wrote the state first' };
  }
  // A Canary going away without Davy's finalizer is not Davy's to write to.
  if (finalized(ctx)) return { outcome: 'idle', phase: out.state.phase };
  const applied = await applyTargets(ctx, out.actions);
  // The status says what the cluster shows, so it follows the targets (a rollback is Failed once
  // traffic is back) and comes before events and outbox calls, which may wait on a slow hook.
  // Until the targets land it keeps the last phase they reached; each pass applies them again.
  if (applied.failure === undefined && !finalized(ctx)) await writeStatus(ctx, out.state);
  const { delivered } = await applyCalls(ctx, out.actions);
  const acknowledged = delivered.length > 0 ? await acknowledge(ctx, obs, delivered) : out.state;
  const final = await keepUnsent(ctx, acknowledged);
  stateGauges(scope, deps, parsed.state, final);
  if (applied.failure !== undefined) throw applied.failure;
  return { outcome: changed ? 'stepped' : 'idle', phase: final.phase, due: out.due };
}

/** A Canary being deleted without Davy's finalizer (or whose finalizer this pass removed): nothing to write to. */
function finalized(ctx: ApplyContext): boolean {
  const { metadata } = ctx.canary;
  return metadata.deletionTimestamp !== undefined && !(metadata.finalizers ?? []).includes(FINALIZER);
}

/** The state annotation, guarded by the resourceVersion read; false when another stepper moved first. */
async function writeState(ctx: ApplyContext, state: State): Promise<boolean> {
  const { canary } = ctx;
  const annotations = { ...(canary.metadata.annotations ?? {}), [ANNOTATION_STATE]: serializeState(state) };
  try {
    ctx.canary = await ctx.scope.view.replace({ ...canary, metadata: { ...canary.metadata, annotations } });
    ctx.state = state;
    return true;
  } catch (error) {
    if (!(error instanceof ConflictError)) {
      // A write whose answer was lost may have been applied: then this pass goes on (its events
      // are emitted), rather than the next pass finding the state written and the events never sent.
      const stored = await landed(ctx, state).catch(() => undefined);
      if (!stored) throw error;
      ctx.scope.log.info('the state write was applied though its answer was lost', { error });
      ctx.canary = stored;
      ctx.state = state;
      return true;
    }
    ctx.scope.log.info('another stepper wrote this canary first; skipped until the next pass', { resourceVersion: canary.metadata.resourceVersion });
    return false;
  }
}

/** The Canary as stored, if it carries exactly `state` (this pass's write, lastStepAt included). */
async function landed(ctx: ApplyContext, state: State): Promise<Canary | undefined> {
  const { name, namespace } = ctx.canary.metadata;
  const stored = await ctx.deps.kube.get<Canary & KubeObject>({ apiVersion: ctx.canary.apiVersion, kind: 'Canary', name: name ?? '', namespace: namespace ?? '' });
  return stored?.metadata.annotations?.[ANNOTATION_STATE] === serializeState(state) ? stored : undefined;
}

/**
 * Flagger's status fields and kstatus's, written when they differ (a spec edit alone changes
 * observedGeneration, so it is written on the next pass); a conflict is left to the next pass.
 */
async function writeStatus(ctx: ApplyContext, state: State): Promise<void> {
  const status = projectStatus(state, ctx.canary.spec, ctx.now, ctx.scope.stepOptions, ctx.canary.metadata.generation);
  if (canonicalJson(status) === canonicalJson(ctx.canary.status ?? {})) return;
  try {
    ctx.canary = await ctx.scope.view.replaceStatus({ ...ctx.canary, status });
  } catch (error) {
    if (error instanceof ConflictError) ctx.scope.log.debug('status not written: the Canary changed; the next pass writes it', { error });
    else ctx.scope.log.warn('status not written', { error });
  }
}

/**
 * The outbox entries answered in this pass leave the state: a second step, at the same time and on
 * the same observations, takes in the deliveries (a post-rollout hook's answer becomes its event).
 * Lost in a crash, they are delivered again next pass: at least once.
 */
async function acknowledge(ctx: ApplyContext, obs: Observations, delivered: Observations['delivered']): Promise<State> {
  const current = ctx.state;
  const { results: _results, ...rest } = obs;
  const canary = { ...rest.canary, finalizers: [...(ctx.canary.metadata.finalizers ?? [])] };
  const observations = { ...rest, canary, ...(delivered ? { delivered } : {}) };
  const out = step(current, ctx.canary.spec, observations, ctx.now, ctx.scope.stepOptions);
  if (!out.changed) return current;
  if (!(await writeState(ctx, out.state))) return current;
  await writeStatus(ctx, out.state);
  const events = out.actions.filter((a) => a.kind === 'event');
  await applyActions({ ...ctx, state: out.state }, events);
  return out.state;
}

/**
 * A step that ran at or after its due time (not one taken early for something new) was this late.
 * A periodic tick that changed nothing returns the state as it was, so it is not measured.
 */
function lateness(deps: RunnerDeps, before: State, out: StepResult, due: string | undefined, now: Date): void {
  const dueMs = due === undefined ? Number.NaN : Date.parse(due);
  if (Number.isNaN(dueMs) || out.state.lastStepAt === before.lastStepAt || now.getTime() < dueMs) return;
  deps.metrics?.stepLateness((now.getTime() - dueMs) / 1000);
}

/** Events this pass could not write go into the state for the next pass (a guarded write; lost on a conflict). */
async function keepUnsent(ctx: ApplyContext, state: State): Promise<State> {
  if (!ctx.unsent || ctx.unsent.length === 0) return state;
  const next = carryUnsent(ctx.scope, state, ctx.unsent);
  return (await writeState(ctx, next)) ? next : state;
}

function metricValues(scope: CanaryScope, deps: RunnerDeps, outcomes: readonly MetricOutcome[]): void {
  for (const m of outcomes) {
    if (m.value !== undefined) deps.metrics?.metricValue(scope.canary.spec.targetRef.name, scope.targetRef.namespace ?? '', m.name, m.value);
  }
}

/** Flagger's gauges for the canary, and a success or failure when this pass ended a run. */
function stateGauges(scope: CanaryScope, deps: RunnerDeps, before: State, after: State): void {
  const metrics = deps.metrics;
  if (!metrics) return;
  const target = scope.canary.spec.targetRef.name;
  const namespace = scope.targetRef.namespace ?? '';
  const { phase, routes } = after;
  metrics.canary({ target, namespace, phase, primaryWeight: routes.primary, canaryWeight: routes.canary });
  if (before.phase === after.phase || (after.phase !== 'Succeeded' && after.phase !== 'Failed')) return;
  const promoting = after.transitions.findLast((t) => t.to === 'Promoting');
  const analysisStatus = promoting?.reason === 'SkipAnalysis' ? 'skipped' : 'completed';
  metrics.runEnded(after.phase === 'Succeeded' ? 'succeeded' : 'failed', { target, namespace, strategy: scope.analysis.strategy, analysisStatus });
}
