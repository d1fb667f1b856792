// A model of the cluster as the stepper sees it, for `davy simulate` and the stepper's tests: the
// user's workload behind the admission webhook's hold, the copy, the router, the Canary. It applies
// actions with their documented contracts and reports Observations. Pure data in, data out; no
// clock (time is a number the driver moves).

import { FINALIZER } from '../api/keys.js';
import type { Action, ActionRequest, CloudEventEntry, Delivery, Observations, Routes, WorkloadReadiness } from '../stepper/index.js';

export interface SimTiming {
  /** How long the copy takes to be available after it is scaled up or re-synced. */
  copyReadyMs: number;
  /** How long the user's workload takes to roll out a released revision. */
  rolloutMs: number;
}

export interface SimCluster {
  now: number;
  timing: SimTiming;
  canary: { name: string; namespace: string; finalizers: string[]; deletionTimestamp?: string; gone: boolean };
  target: {
    exists: boolean;
    kind: string;
    replicas: number;
    /** The template the user asked for, by revision. */
    template: string;
    /** The revision its pods run. */
    pods: string;
    stableAnnotation?: string;
    pendingAnnotation?: string;
    held: boolean;
    labeled: boolean;
    /** A released rollout in progress. */
    rollout?: { revision: string; doneAt: number; stuck: boolean };
  };
  copy: { exists: boolean; revision?: string; replicas: number; readyAt: number; stuck: boolean };
  routes?: Routes;
  configs: Record<string, string>;
  action?: ActionRequest;
  /** What the runner delivered since the last step (the runner's memory). */
  delivered: Delivery[];
  /** Ids delivered once already (at-least-once: a redelivery is allowed, the sim does not need it). */
  deliveredIds: string[];
  /** Everything that went out, for timelines and assertions. */
  log: {
    events: { at: number; type: string; message: string }[];
    hooks: { at: number; hook: string; phase: string; id: string }[];
    alerts: { at: number; severity: string; message: string }[];
    /** Queued only with StepOptions.cloudEvents (`davy simulate` has no sink). */
    cloudEvents: CloudEventEntry[];
  };
}

export interface NewCluster {
  name?: string;
  namespace?: string;
  kind?: string;
  replicas?: number;
  revision?: string;
  timing?: Partial<SimTiming>;
  start?: number;
}

export function newCluster(options: NewCluster = {}): SimCluster {
  const revision = options.revision ?? 'rev-1';
  return {
    now: options.start ?? Date.parse('2025-01-01T00:00:00Z'),
    timing: { copyReadyMs: 0, rolloutMs: 0, ...options.timing },
    canary: { name: options.name ?? 'podinfo', namespace: options.namespace ?? 'test', finalizers: [], gone: false },
    target: {
      exists: true,
      kind: options.kind ?? 'Deployment',
      replicas: options.replicas ?? 2,
      template: revision,
      pods: revision,
      held: false,
      labeled: false,
    },
    copy: { exists: false, replicas: 0, readyAt: 0, stuck: false },
    configs: {},
    delivered: [],
    deliveredIds: [],
    log: { events: [], hooks: [], alerts: [], cloudEvents: [] },
  };
}

/**
 * The user (or Git) sets the workload's template: the admission webhook holds a revision that is
 * not the stable one, and a revert to the stable one releases Davy's hold with no pod churn.
 */
export function pushRevision(cluster: SimCluster, revision: string): void {
  const target = cluster.target;
  target.template = revision;
  if (!target.labeled) {
    target.pods = revision;
    return;
  }
  if (revision === target.stableAnnotation) {
    target.held = false;
    delete target.pendingAnnotation;
    if (target.rollout === undefined) target.pods = revision;
    return;
  }
  target.held = true;
  target.pendingAnnotation = revision;
}

const full = (replicas: number, generation = 1): WorkloadReadiness => ({
  generation,
  observedGeneration: generation,
  desired: replicas,
  current: replicas,
  updated: replicas,
  available: replicas,
  ready: replicas,
  progressDeadlineExceeded: false,
});

function targetReadiness(cluster: SimCluster): WorkloadReadiness {
  const { target, now } = cluster;
  if (target.rollout && (target.rollout.stuck || now < target.rollout.doneAt)) {
    return { ...full(target.replicas), available: target.replicas - 1, ready: target.replicas - 1 };
  }
  return { ...full(target.replicas), updated: target.pods === target.template ? target.replicas : 0 };
}

function copyReadiness(cluster: SimCluster): WorkloadReadiness {
  const { copy, now } = cluster;
  if (copy.stuck || now < copy.readyAt) return { ...full(copy.replicas), available: 0, ready: 0 };
  return full(copy.replicas);
}

/** The runner's observations of this cluster (check results are added by the driver). */
export function observe(cluster: SimCluster): Observations {
  settle(cluster);
  const { target, copy, canary } = cluster;
  return {
    canary: {
      name: canary.name,
      namespace: canary.namespace,
      finalizers: [...canary.finalizers],
      ...(canary.deletionTimestamp ? { deletionTimestamp: canary.deletionTimestamp } : {}),
    },
    target: {
      exists: target.exists,
      kind: target.kind,
      templateRevision: target.template,
      ...(target.stableAnnotation ? { stableRevision: target.stableAnnotation } : {}),
      ...(target.pendingAnnotation ? { pendingRevision: target.pendingAnnotation } : {}),
      held: target.held,
      labeled: target.labeled,
      readiness: targetReadiness(cluster),
    },
    copy: {
      exists: copy.exists,
      ...(copy.revision ? { revision: copy.revision } : {}),
      ...(copy.exists ? { readiness: copyReadiness(cluster) } : {}),
    },
    ...(cluster.routes ? { routes: { ...cluster.routes } } : {}),
    trackedConfigs: { ...cluster.configs },
    ...(cluster.action ? { action: { ...cluster.action } } : {}),
    ...(cluster.delivered.length > 0 ? { delivered: [...cluster.delivered] } : {}),
  };
}

/** A finished rollout: the pods run the released revision. */
function settle(cluster: SimCluster): void {
  const rollout = cluster.target.rollout;
  if (rollout && !rollout.stuck && cluster.now >= rollout.doneAt) {
    cluster.target.pods = rollout.revision;
    delete cluster.target.rollout;
  }
}

/** Applies actions as the runner must (actions.ts). Outbox calls are delivered and remembered. */
export function apply(cluster: SimCluster, actions: readonly Action[]): void {
  cluster.delivered = [];
  for (const action of actions) applyOne(cluster, action);
}

function applyOne(cluster: SimCluster, action: Action): void {
  const { target, copy, canary, now } = cluster;
  switch (action.kind) {
    case 'addFinalizer':
      if (!canary.deletionTimestamp && !canary.finalizers.includes(FINALIZER)) canary.finalizers.push(FINALIZER);
      return;
    case 'bootstrap':
      if (!target.exists) return;
      target.labeled = true;
      if (!copy.exists) Object.assign(copy, { exists: true, revision: target.template, replicas: 0, readyAt: now });
      cluster.routes ??= { primary: 100, canary: 0, mirror: false };
      return;
    case 'recordStableRevision':
      target.stableAnnotation = action.revision;
      if (target.pendingAnnotation === action.revision) delete target.pendingAnnotation;
      return;
    case 'syncCopy':
      if (target.template !== action.revision || copy.revision === action.revision) return;
      copy.revision = action.revision;
      copy.readyAt = now + cluster.timing.copyReadyMs;
      return;
    case 'scaleCopy':
      return scaleCopy(cluster, action.replicas);
    case 'setRoutes':
      if (cluster.routes) {
        const { kind: _kind, ...routes } = action;
        cluster.routes = structuredClone(routes);
      }
      return;
    case 'releaseHold':
      if (target.template !== action.revision || !target.held) return;
      target.held = false;
      target.rollout = {
        revision: action.revision,
        doneAt: now + cluster.timing.rolloutMs,
        stuck: target.rollout?.stuck ?? false,
      };
      return;
    case 'finalize':
      return finalize(cluster);
    case 'removeFinalizer':
      canary.finalizers = canary.finalizers.filter((f) => f !== FINALIZER);
      if (canary.deletionTimestamp) canary.gone = true;
      return;
    case 'event':
      cluster.log.events.push({ at: now, type: action.type, message: action.message });
      return;
    case 'callHook':
      return deliver(cluster, action.id, () =>
        cluster.log.hooks.push({ at: now, hook: action.hook, phase: action.phase, id: action.id }),
      );
    case 'alert':
      return deliver(cluster, action.id, () =>
        cluster.log.alerts.push({ at: now, severity: action.severity, message: action.message }),
      );
    case 'cloudEvent':
      return deliver(cluster, action.id, () => cluster.log.cloudEvents.push(action.event));
  }
}

function scaleCopy(cluster: SimCluster, replicas: 'match-target' | 0): void {
  const { copy, target, now } = cluster;
  if (!copy.exists) return;
  const wanted = replicas === 0 ? 0 : Math.max(1, target.replicas);
  if (copy.replicas === 0 && wanted > 0) copy.readyAt = now + cluster.timing.copyReadyMs;
  copy.replicas = wanted;
}

function finalize(cluster: SimCluster): void {
  const { target, copy } = cluster;
  delete cluster.routes;
  Object.assign(copy, { exists: false, replicas: 0 });
  delete copy.revision;
  if (!target.exists) return;
  if (target.held) {
    target.held = false;
    target.rollout = { revision: target.template, doneAt: cluster.now + cluster.timing.rolloutMs, stuck: false };
  }
  target.labeled = false;
  delete target.stableAnnotation;
  delete target.pendingAnnotation;
}

function deliver(cluster: SimCluster, id: string, send: () => void): void {
  if (!cluster.deliveredIds.includes(id)) send();
  cluster.deliveredIds.push(id);
  cluster.delivered.push({ id, result: { ok: true } });
}
