// Applying a step's actions (or the re-applied intent) in order, one function per action kind.
// Target actions are absolute and idempotent: each compares before it writes, so re-applying an
// intent the cluster already matches writes nothing. The first target that fails stops the
// remaining targets (their order matters: the copy is up before traffic moves to it); events and
// outbox calls still go out, they do not depend on the cluster.
//
// A write that lost a race (409, or a patch that no longer applies) is retried, up to
// TARGET_WRITE_ATTEMPTS in all, after the object was read again and only if the Canary itself has
// not moved since this runner read or wrote it: a moved Canary means another stepper holds a newer
// state, whose targets win.
import { FINALIZER } from '../api/keys.js';
import { STABLE_ROUTES } from '../routers/index.js';
import { write } from '../routers/objects.js';
import type { Action, Delivery, HookResult, TargetAction } from '../stepper/index.js';
import { describeError } from '../webhooks/http.js';
import { buildAutoscalerCopy, convergedAutoscalerCopy } from '../workloads/autoscalers.js';
import { ownershipOf } from '../workloads/meta.js';
import type { Result } from '../workloads/result.js';
import type { Autoscaler } from '../workloads/types.js';
import { sleep } from '../lib/sleep.js';
import { deliverAlert } from './alerts.js';
import { deliverCloudEvent } from './cloudevents.js';
import { recordEvent } from './events.js';
import { ProblemError, type ApplyContext, type CanaryScope } from './types.js';
import { isStaleWrite } from './view.js';
import * as workload from './workload.js';

export interface ApplyOutcome {
  /** Outbox entries that got an answer, for the acknowledging step. */
  delivered: Delivery[];
  /** The first target that failed; the rest of the targets were not applied. */
  failure?: Error;
}

/** Another stepper moved the Canary since this runner read it: its state wins. */
export class CanaryMovedError extends Error {
  override name = 'CanaryMovedError';
}

const isTarget = (action: Action): action is TargetAction => action.kind in TARGETS;

/** The step's target actions alone, in order. */
export const applyTargets = (ctx: ApplyContext, actions: readonly Action[]): Promise<ApplyOutcome> =>
  applyActions(ctx, actions.filter(isTarget));

/** The step's events and outbox calls alone, in order. */
export const applyCalls = (ctx: ApplyContext, actions: readonly Action[]): Promise<ApplyOutcome> =>
  applyActions(ctx, actions.filter((action) => !isTarget(action)));

export async function applyActions(ctx: ApplyContext, actions: readonly Action[]): Promise<ApplyOutcome> {
  const delivered: Delivery[] = [];
  let failure: Error | undefined;
  for (const action of actions) {
    if (isTarget(action)) {
      // The finalizer goes once the stepper decided finalization is over (or timed out), even when
      // a finalize step failed: a Canary must never become undeletable.
      if (failure !== undefined && action.kind !== 'removeFinalizer') continue;
      try {
        await withRetry(ctx, action, () => applyTarget(ctx, action));
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      continue;
    }
    const answer = await applyCall(ctx, action);
    if (answer) delivered.push(answer);
  }
  return { delivered, ...(failure === undefined ? {} : { failure }) };
}

/**
 * Attempts at a target write that loses races to others' writes (client-go's RetryOnConflict makes
 * 5): a controller updating a Deployment it just created, or its status, makes several in a row.
 */
export const TARGET_WRITE_ATTEMPTS = 5;
const RETRY_WAIT_MS = 50;

/**
 * Runs a target action; when its write lost a race (the view has read the object again), runs it
 * again while the Canary is still as this step read it: the targets are absolute, and the state
 * this step wrote is still the newest. A Canary that moved means another stepper acts on a newer
 * state, and its writes must win.
 */
async function withRetry(ctx: ApplyContext, action: TargetAction, run: () => Promise<void>): Promise<void> {
  const onCanary = action.kind === 'addFinalizer' || action.kind === 'removeFinalizer';
  for (let attempt = 1; ; attempt += 1) {
    try {
      await run();
      return;
    } catch (error) {
      if (!isStaleWrite(error) || attempt >= TARGET_WRITE_ATTEMPTS) throw error;
      if (onCanary || !(await canaryUnchanged(ctx))) throw new CanaryMovedError(`${action.kind}: the Canary changed since it was read`, { cause: error });
      ctx.scope.log.debug('write lost a race; retrying', { action: action.kind, attempt, error });
      await sleep(RETRY_WAIT_MS * attempt);
    }
  }
}

async function canaryUnchanged(ctx: ApplyContext): Promise<boolean> {
  const { apiVersion, kind, metadata } = ctx.canary;
  const fresh = await ctx.scope.view.fresh({ apiVersion, kind, name: metadata.name ?? '', namespace: metadata.namespace ?? '' });
  return fresh?.metadata.resourceVersion === metadata.resourceVersion;
}

type Handlers = { [K in TargetAction['kind']]: (ctx: ApplyContext, action: Extract<TargetAction, { kind: K }>) => Promise<void> };

const TARGETS: Handlers = {
  addFinalizer: (ctx) => setFinalizer(ctx, true),
  bootstrap,
  recordStableRevision: (ctx, a) => workload.recordStableRevision(ctx.scope, a.revision),
  syncCopy: (ctx, a) => workload.syncCopy(ctx.scope, a.revision, ctx.configs),
  scaleCopy,
  setRoutes,
  releaseHold: (ctx, a) => workload.releaseHold(ctx.scope, a.revision),
  finalize,
  removeFinalizer: (ctx) => setFinalizer(ctx, false),
};

function applyTarget(ctx: ApplyContext, action: TargetAction): Promise<void> {
  const handler = TARGETS[action.kind] as (ctx: ApplyContext, action: TargetAction) => Promise<void>;
  return handler(ctx, action);
}

const must = <T>(result: Result<T>): T => {
  if (!result.ok) throw ProblemError.of(result.error);
  return result.value;
};

async function targetExists(ctx: ApplyContext): Promise<boolean> {
  return (await ctx.scope.view.get(ctx.scope.targetRef)) !== undefined;
}

/** The finalizer present or absent; a Canary being deleted cannot take a new one. */
async function setFinalizer(ctx: ApplyContext, present: boolean): Promise<void> {
  const finalizers = ctx.canary.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER) === present) return;
  if (present && ctx.canary.metadata.deletionTimestamp) return;
  const next = present ? [...finalizers, FINALIZER] : finalizers.filter((f) => f !== FINALIZER);
  ctx.canary = await ctx.scope.view.replace({ ...ctx.canary, metadata: { ...ctx.canary.metadata, finalizers: next } });
}

/** Davy's objects: the label, the copy, the Services and router objects (100/0 when new), the autoscaler copy. */
async function bootstrap(ctx: ApplyContext): Promise<void> {
  if (!(await targetExists(ctx))) return;
  await workload.labelTarget(ctx.scope);
  await workload.ensureCopy(ctx.scope, ctx.configs);
  must(await ctx.scope.router.reconcile(ctx.scope.canary));
  await autoscalerCopy(ctx, ctx.state.copy === 'zero');
}

/** The autoscaler copy converged from the user's autoscaler; idle keeps it from scaling the copy up. */
async function autoscalerCopy(ctx: ApplyContext, idle: boolean): Promise<void> {
  const { scope } = ctx;
  if (!scope.autoscaler) return;
  const { ref, copyRef } = scope.autoscaler;
  const original = await scope.view.get(ref);
  if (!original) throw new ProblemError('TargetMissing', `${ref.kind} ${ref.namespace ?? ''}/${ref.name} (spec.autoscalerRef) not found`);
  const desired = must(buildAutoscalerCopy(scope.canary, original as Autoscaler, { idle }));
  const existing = await scope.view.get<Autoscaler>(copyRef);
  if (existing && ownershipOf(existing, scope.canary).kind !== 'ours') {
    throw new ProblemError('ObjectConflict', `${copyRef.kind} ${copyRef.namespace ?? ''}/${copyRef.name} exists and is not this Canary's`);
  }
  await write(scope.view, existing ? convergedAutoscalerCopy(existing, desired) : desired, existing);
}

/** The autoscaler copy wakes before the copy scales up, and sleeps before it scales down. */
async function scaleCopy(ctx: ApplyContext, action: Extract<TargetAction, { kind: 'scaleCopy' }>): Promise<void> {
  if (!(await targetExists(ctx))) return;
  await autoscalerCopy(ctx, action.replicas === 0);
  await workload.scaleCopy(ctx.scope, action.replicas);
}

async function setRoutes(ctx: ApplyContext, action: Extract<TargetAction, { kind: 'setRoutes' }>): Promise<void> {
  // Every router routes between the workload's pods and the copy's; without the workload there is nothing to route.
  if (!(await targetExists(ctx))) return;
  const { kind: _kind, ...routes } = action;
  must(await ctx.scope.router.setRoutes(ctx.scope.canary, routes));
}

/**
 * Deletion: traffic to the stable side first, then the router objects and Services (restored when
 * adopted), the autoscaler copy, the hold and Davy's metadata on the workload, the copy last. Each
 * part is attempted even when another failed (the hold must go even if routing cannot be read),
 * except the copy, which stays while routing may still send it traffic. A problem with routing is
 * logged: without Davy's routing, traffic reaches the apex Service, which selects the stable pods.
 */
async function finalize(ctx: ApplyContext): Promise<void> {
  const { scope } = ctx;
  const failures: unknown[] = [];
  const attempt = async (part: string, run: () => Promise<void>): Promise<boolean> => {
    try {
      await run();
      return true;
    } catch (error) {
      scope.log.warn(`finalize: ${part} failed; retried next pass`, { error });
      failures.push(error);
      return false;
    }
  };
  const routed = await attempt('routing', () => finalizeRouting(scope));
  await attempt('autoscaler copy', async () => {
    const existing = scope.autoscaler && (await scope.view.get(scope.autoscaler.copyRef));
    if (scope.autoscaler && existing && ownershipOf(existing, scope.canary).kind === 'ours') await scope.view.delete(scope.autoscaler.copyRef);
  });
  await attempt('workload', () => workload.releaseTarget(scope));
  if (routed) await attempt('copy', () => workload.deleteCopy(scope));
  if (failures.length > 0) throw failures[0];
}

async function finalizeRouting(scope: CanaryScope): Promise<void> {
  const { router, canary, log } = scope;
  const routes = await router.getRoutes(canary);
  if (routes.ok && (routes.value.canary > 0 || routes.value.mirror)) {
    const set = await router.setRoutes(canary, STABLE_ROUTES);
    if (!set.ok) log.warn('cannot route all traffic to the stable pods before removing the routing', { reason: set.error.message });
  }
  const removed = await router.finalize(canary);
  if (!removed.ok) log.warn('cannot remove the routing objects', { reason: removed.error.message });
}

/** Events (at most once) and outbox calls (at least once: the answer goes to the acknowledging step). */
async function applyCall(ctx: ApplyContext, action: Exclude<Action, TargetAction>): Promise<Delivery | undefined> {
  switch (action.kind) {
    case 'event': {
      const unsent = await recordEvent(ctx.scope, ctx.deps, action, ctx.state, ctx.now);
      if (unsent) ctx.unsent?.push(unsent);
      return undefined;
    }
    case 'callHook':
      return { id: action.id, result: await callHook(ctx, action) };
    case 'alert':
      return deliverAlert(ctx, action);
    case 'cloudEvent':
      return deliverCloudEvent(ctx, action);
  }
}

async function callHook(ctx: ApplyContext, action: Extract<Action, { kind: 'callHook' }>): Promise<HookResult> {
  const { scope } = ctx;
  const hook = scope.analysis.webhooks.find((h) => h.name === action.hook && h.type === action.type);
  if (!hook) return { ok: false, message: `webhook ${action.hook} is no longer in the spec` };
  const { name, namespace } = scope.canary.metadata;
  const result = await ctx.deps.webhooks
    .call({ hook, canary: { name: name ?? '', namespace: namespace ?? '' }, phase: action.phase, checksum: action.checksum })
    .catch((error: unknown) => ({ ok: false as const, message: describeError(error) }));
  scope.log.info('post-rollout webhook called', { webhook: hook.name, id: action.id, ok: result.ok });
  return result.ok ? { ok: true } : { ok: false, message: result.message };
}
