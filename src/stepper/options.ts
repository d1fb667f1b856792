// The stepper's config-like inputs (flags), not the Canary's: a leaf every part of the core may
// import, so none has to import tick.ts for it.
import type { ProviderName } from '../api/providers.js';

export interface StepOptions {
  /** `--mesh-provider`: the provider of canaries without spec.provider (default istio). */
  meshProvider?: ProviderName;
  /** `--metrics-server`. */
  metricsServer?: string;
  /**
   * How soon waits on the cluster (bootstrap, finalization) are looked at again; capped by the interval. Default 5s.
   */
  pollIntervalMs?: number;
  /** How long a canary may wait on people (approval gates, `davy pause`) before it fails. Default 24h. */
  humanWaitTimeoutMs?: number;
  /** The stepper has a CloudEvents sink (`--cloudevents-sink`): each step queues its events in the outbox. */
  cloudEvents?: boolean;
  /**
   * The stepper has a global notifier: alerts of a canary without `analysis.alerts` go to it.
   * Without one, such alerts have nowhere to go and are not queued (nor written, nor acknowledged).
   */
  notifier?: boolean;
}
