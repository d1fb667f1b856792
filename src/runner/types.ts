// What the runner is given (ports and options) and what it reports. The composition root
// (src/cli/step.ts) wires real adapters; tests pass MemoryKube, a fake clock, a fake webhook
// caller and fake metric providers.
import { effectiveAnalysis, type EffectiveAnalysis } from '../api/defaults.js';
import { isDavyProvider, type DavyProvider, type ProviderName } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, ObjectRef } from '../kube/client.js';
import type { MetricProviderRegistry } from '../metrics/provider.js';
import type { Notifier } from '../notifiers/notifier.js';
import { createRouter, type Router } from '../routers/index.js';
import type { State, StepOptions, UnsentEvent } from '../stepper/index.js';
import type { AddressGuard } from './address-guard.js';
import type { Logger } from '../telemetry/logger.js';
import type { TrackedConfigs } from '../workloads/config-tracking.js';
import type { StepperMetrics } from '../telemetry/stepper-metrics.js';
import type { WebhookCaller } from '../webhooks/caller.js';
import { AUTOSCALER_SUFFIX } from '../workloads/autoscalers.js';
import type { Problem, ProblemCode } from '../workloads/result.js';
import type { ClusterView } from './view.js';

export interface RunnerDeps {
  kube: KubeClient;
  /** The only clock the runner reads. */
  clock: () => Date;
  logger: Logger;
  webhooks: WebhookCaller;
  /** The global notifier, for canaries without `analysis.alerts` (src/runner/alerts.ts); none by default. */
  notifier?: Notifier;
  /**
   * The global event webhook (`--event-webhook`, Flagger's `-event-webhook`): every event of a
   * canary with no `event` webhook of its own is posted there, as a webhook named `events`.
   */
  eventWebhook?: string;
  /**
   * The CloudEvents sink (`--cloudevents-sink`): steps queue CloudEvents in the outbox and each is
   * posted there (src/runner/cloudevents.ts); none by default.
   */
  cloudEventsSink?: string;
  /** Metric providers by MetricTemplate type; the real registry by default. */
  metricProviders?: MetricProviderRegistry;
  /**
   * The operator's address policy for MetricTemplates' provider addresses (hook URLs are guarded
   * in `webhooks`, see address-guard.ts); every address is called when unset.
   */
  addressGuard?: AddressGuard;
  /** The operator's `--alert-hosts`, for AlertProviders' addresses and proxies; any address when unset. */
  alertGuard?: AddressGuard;
  metrics?: StepperMetrics;
  /**
   * Problems already reported as Events by this process (invalid specs, conflicts with foreign
   * objects), so a broken canary is not reported on every pass. The schedule keeps one per run.
   */
  reported?: Set<string>;
}

export interface Shard {
  /** 0-based, below count. */
  index: number;
  count: number;
  /**
   * What is hashed (`--shard-by`): `canary`, a canary's `namespace/name` (the default: canaries
   * spread evenly), or `namespace` alone (a namespace's canaries share a shard, so each shard lists
   * only its own namespaces' objects).
   */
  by?: ShardKey;
}

export type ShardKey = 'canary' | 'namespace';

export interface PassOptions {
  /** Namespaces to step; all when empty or unset. */
  namespaces?: readonly string[];
  shard?: Shard;
  /** `--mesh-provider`: the provider of canaries that name none (default istio). */
  meshProvider?: ProviderName;
  /** `--metrics-server`: Prometheus for canaries that name none. */
  metricsServer?: string;
  /** `--ingress-annotations-prefix`: the nginx router's annotation prefix. */
  ingressAnnotationsPrefix?: string;
  /** `--ingress-class`: the contour router's HTTPProxy class. */
  ingressClass?: string;
  /** Canaries processed at once (default 4); checks within a canary run in parallel too. */
  concurrency?: number;
  /** Per metric query (default 10s). */
  metricTimeoutMs?: number;
  /**
   * How soon the stepper looks again at a wait on the cluster (bootstrap, finalization): StepOptions.pollIntervalMs,
   * default 5s.
   */
  clusterPollMs?: number;
  /**
   * How long a canary may wait on people (approval gates, `davy pause`): StepOptions.humanWaitTimeoutMs, default 24h.
   */
  humanWaitTimeoutMs?: number;
  /** Aborting stops new work: canaries not yet stepped are skipped, running checks are cancelled. */
  signal?: AbortSignal;
  /**
   * The schedule's: each namespace's turn begins and ends through it, so passes over one namespace
   * never overlap and the schedule learns when each namespace is next due as its turn ends.
   */
  turns?: NamespaceTurns;
  /**
   * A pass over the namespaces that came due, not all of the stepper's: the per-namespace totals,
   * which a whole pass replaces, are left as the last whole pass set them.
   */
  partial?: boolean;
}

/** When some canaries next need a step: the schedule's input, as PassReport's `due` and `overdue`. */
export interface Due {
  /** The earliest due that came after its canary's turn (ISO). */
  due?: string;
  /** Some canary reported a due no later than its own turn: stepping it again at once would change nothing. */
  overdue?: boolean;
}

/**
 * A namespace's turn ended: when its canaries with a run under way, and its resting ones, are next
 * due, and how many canaries it stepped (what a pass over it alone will hold).
 */
export interface TurnEnd {
  running: Due;
  resting: Due;
  canaries: number;
  /**
   * A canary could not be stepped (an error, another stepper first) or the turn failed: the
   * namespace is passed again after the schedule's retry wait, which whole passes gave it before
   * watches made them rare.
   */
  retry?: boolean;
}

/** Turns over namespaces, one pass at a time in each (src/runner/turns.ts). */
export interface NamespaceTurns {
  /**
   * Resolves when no other pass is in `namespace`, with the function that ends the turn; or with
   * undefined when another pass began a turn there after this pass began (it saw all this pass
   * would see), or when the namespace's own pass comes first: the namespace is skipped.
   */
  begin(namespace: string): Promise<((end: TurnEnd) => void) | undefined>;
}

export type CanaryOutcome =
  /** Nothing was due; the cluster was checked against the recorded intent. */
  | 'idle'
  /** A new state was written and its actions applied. */
  | 'stepped'
  /** Another stepper wrote the state first; the canary waits for the next pass. */
  | 'conflict'
  /** The spec is invalid: not stepped, reported in an Event. */
  | 'invalid'
  /** An API error or a problem stopped the canary's actions; the next pass converges. */
  | 'error'
  /** The pass was stopped (SIGTERM) before this canary was done. */
  | 'aborted';

export interface CanaryReport {
  namespace: string;
  name: string;
  outcome: CanaryOutcome;
  phase?: string;
  /** When this canary next needs a step (ISO); unset when it needs nothing before the next poll. */
  due?: string;
  message?: string;
}

export interface PassReport {
  startedAt: string;
  durationMs: number;
  canaries: CanaryReport[];
  /**
   * The earliest `due` among the canaries that fell after the canary's own turn in the pass (ISO), for the schedule.
   */
  due?: string;
  /** Some canary reported a due no later than its own turn: stepping it again at once would change nothing. */
  overdue?: boolean;
}

/** Everything about one canary that does not change during a pass. */
export interface CanaryScope {
  canary: Canary;
  analysis: EffectiveAnalysis;
  provider: DavyProvider;
  router: Router;
  view: ClusterView;
  log: Logger;
  targetRef: ObjectRef;
  copyRef: ObjectRef;
  /** The user's autoscaler and its copy, when spec.autoscalerRef is set. */
  autoscaler?: { ref: ObjectRef; copyRef: ObjectRef };
  stepOptions: StepOptions;
}

export const canaryKey = (canary: Canary): string => `${canary.metadata.namespace ?? ''}/${canary.metadata.name ?? ''}`;

/** Where a step's outbox goes besides the canary's own spec: the stepper's CloudEvents sink and global notifier. */
export interface Sinks {
  cloudEvents?: boolean;
  notifier?: boolean;
}

export function stepOptionsOf(options: PassOptions, sinks: Sinks = {}): StepOptions {
  return {
    ...(sinks.cloudEvents ? { cloudEvents: true } : {}),
    ...(sinks.notifier ? { notifier: true } : {}),
    ...(options.meshProvider ? { meshProvider: options.meshProvider } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    ...(options.clusterPollMs === undefined ? {} : { pollIntervalMs: options.clusterPollMs }),
    ...(options.humanWaitTimeoutMs === undefined ? {} : { humanWaitTimeoutMs: options.humanWaitTimeoutMs }),
  };
}

/**
 * The scope of a canary, or why it has none (a provider Davy does not route is a validation error).
 * `sinks`: the stepper has a CloudEvents sink (steps queue CloudEvents) or a global notifier.
 */
export function scopeOf(
  canary: Canary, view: ClusterView, logger: Logger, options: PassOptions, sinks: Sinks = {},
): CanaryScope | string {
  const namespace = canary.metadata.namespace ?? '';
  const analysis = effectiveAnalysis(canary.spec, {
    ...(options.meshProvider ? { meshProvider: options.meshProvider } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    namespace,
  });
  const provider = analysis.provider;
  if (!isDavyProvider(provider)) return `provider ${provider} is not supported by Davy yet`;
  const target = canary.spec.targetRef;
  const scaler = canary.spec.autoscalerRef;
  return {
    canary,
    analysis,
    provider,
    router: createRouter(provider, {
      kube: view,
      ...(options.ingressAnnotationsPrefix ? { ingressAnnotationsPrefix: options.ingressAnnotationsPrefix } : {}),
      ...(options.ingressClass ? { ingressClass: options.ingressClass } : {}),
    }),
    view,
    log: logger.child({ canary: canary.metadata.name ?? '', namespace }),
    targetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name, namespace },
    copyRef: { apiVersion: target.apiVersion, kind: target.kind, name: analysis.canaryWorkloadName, namespace },
    ...(scaler
      ? {
          autoscaler: {
            ref: { apiVersion: scaler.apiVersion, kind: scaler.kind, name: scaler.name, namespace },
            copyRef: { apiVersion: scaler.apiVersion, kind: scaler.kind, name: `${scaler.name}${AUTOSCALER_SUFFIX}`, namespace },
          },
        }
      : {}),
    stepOptions: stepOptionsOf(options, sinks),
  };
}

/**
 * An expected outcome that stops a canary's actions without being an API error: an object Davy may
 * not touch, a target Davy cannot copy, a router that cannot express the routes. Reported once as a
 * Warning Event, logged on every pass; the next pass tries again.
 */
export class ProblemError extends Error {
  override name = 'ProblemError';

  constructor(readonly code: ProblemCode, message: string) {
    super(message);
  }

  static of(problem: Problem): ProblemError {
    return new ProblemError(problem.code, problem.message);
  }
}

/** What applying one canary's actions works with (src/runner/apply.ts and alerts.ts). */
export interface ApplyContext {
  scope: CanaryScope;
  deps: RunnerDeps;
  /** The state the actions come from. */
  state: State;
  /** The tracked configs observed this pass (the copy's config checksum). */
  configs: TrackedConfigs;
  now: Date;
  /** The Canary as this runner last read or wrote it; updated by its own writes. */
  canary: Canary;
  /** Events of this pass that could not be written, for the state (events.ts carryUnsent). */
  unsent?: UnsentEvent[];
  /** A CloudEvent of this canary failed this pass: the later ones wait, to reach the sink in order. */
  cloudEventsHeld?: boolean;
}
