// What the runner gathers before a step, as plain data. The runner reads the cluster (a few LIST
// calls per namespace), the router, and runs the checks plan() asked for; step() sees nothing else.

import type { Routes } from './state.js';

/**
 * A workload's rollout progress, copied from its status. For a Deployment: `desired` is
 * spec.replicas, `current` status.replicas, `updated` status.updatedReplicas, `available`
 * status.availableReplicas, `ready` status.readyReplicas. For a DaemonSet: desiredNumberScheduled,
 * currentNumberScheduled, updatedNumberScheduled, numberAvailable, numberReady.
 */
export interface WorkloadReadiness {
  generation: number;
  observedGeneration: number;
  desired: number;
  current: number;
  updated: number;
  available: number;
  ready: number;
  /** Kubernetes' own deadline: the Progressing condition has reason ProgressDeadlineExceeded. */
  progressDeadlineExceeded: boolean;
}

/** The user's workload (spec.targetRef). */
export interface TargetObservation {
  exists: boolean;
  kind?: string;
  /** templateRevision() of its spec.template: what the user asked for, held or not. */
  templateRevision?: string;
  /** The `davy.dev/stable-revision` annotation. */
  stableRevision?: string;
  /** The `davy.dev/pending-revision` annotation (set by the webhook with the hold). */
  pendingRevision?: string;
  /** Davy's hold is on (`davy.dev/held` present). */
  held: boolean;
  /** It carries the `davy.dev/canary` label. */
  labeled: boolean;
  readiness?: WorkloadReadiness;
}

/** The canary copy `<target>-canary`. */
export interface CopyObservation {
  exists: boolean;
  /**
   * The revision of the user's template the copy was made from (its own template differs: its
   * labels are rewritten), as recorded by the runner when it synced the copy.
   */
  revision?: string;
  readiness?: WorkloadReadiness;
}

export interface CanaryObservation {
  name: string;
  namespace: string;
  deletionTimestamp?: string;
  finalizers: string[];
}

/** The `davy.dev/action` annotation, parsed (parseActionAnnotation). */
export interface ActionRequest {
  action: string;
  nonce: string;
  /** Who asked, as written by `davy <verb>`. */
  by?: string;
}

/** A webhook's answer: ok means a 2xx within its timeout (after its retries). */
export type HookResult = { ok: true; message?: string } | { ok: false; message: string };

/**
 * A metric query's result, before thresholds: the runner renders and runs the query, the stepper
 * judges the value. NaN, an empty result or several series are noData or error, never a value.
 */
export type MetricResult =
  | { verdict: 'ok'; query: string; value: number; message?: string }
  | { verdict: 'noData'; query: string; message: string }
  /** `message` is the whole reason as the event says it, e.g. `Metric query failed for <name>: ...`. */
  | { verdict: 'error'; query: string; message: string };

/** Results of the checks plan() asked for, by webhook name and by metric name. */
export interface CheckResults {
  hooks?: Record<string, HookResult>;
  metrics?: Record<string, MetricResult>;
}

export interface Observations {
  canary: CanaryObservation;
  target: TargetObservation;
  copy: CopyObservation;
  /** Weights read back from the router; undefined when its objects do not exist (yet). */
  routes?: Routes;
  /** `configmap/<name>` or `secret/<name>` -> checksum, for the configs the template references. */
  trackedConfigs: Record<string, string>;
  /** A parsed `davy.dev/action`; a new nonce is executed once. */
  action?: ActionRequest;
  /** Answers to this tick's plan(). */
  results?: CheckResults;
  /** Outbox entries (hook calls, alerts) the runner delivered since it last stepped this canary. */
  delivered?: Delivery[];
}

/** An outbox entry that got an answer; a post-rollout hook's outcome becomes an event. */
export interface Delivery {
  id: string;
  result: HookResult;
}

/** Parses the action annotation; a reason when it is not `{"action": "...", "nonce": "..."}`. */
export function parseActionAnnotation(text: string | undefined): ActionRequest | { error: string } | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'davy.dev/action is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { error: 'davy.dev/action is not a JSON object' };
  const { action, nonce, by, who } = raw as Record<string, unknown>;
  if (typeof action !== 'string' || typeof nonce !== 'string' || nonce === '') {
    return { error: 'davy.dev/action needs string fields "action" and "nonce"' };
  }
  const author = typeof by === 'string' ? by : typeof who === 'string' ? who : undefined;
  return { action, nonce, ...(author === undefined ? {} : { by: author }) };
}

/** What the cluster asks for: the template revision plus the configs it reads. */
export interface Subject {
  revision: string;
  configs: Record<string, string>;
}

export function sameConfigs(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

export const sameSubject = (a: Subject | undefined, b: Subject | undefined): boolean =>
  a !== undefined && b !== undefined && a.revision === b.revision && sameConfigs(a.configs, b.configs);

export function observedSubject(obs: Observations): Subject | undefined {
  const revision = obs.target.exists ? obs.target.templateRevision : undefined;
  return revision === undefined ? undefined : { revision, configs: obs.trackedConfigs };
}
