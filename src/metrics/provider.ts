// The MetricProvider port: one query, one health check, and answers as values. A provider never
// throws for anything the outside world does (an unreachable server, a bad answer, no data): the
// stepper records every check with its reason, and "no data" is a verdict of its own that the
// metric's onNoData policy turns into a failed, held or passed check (DESIGN.md, Ports).

import type { MetricProviderType } from '../api/types.js';

/**
 * One query's answer. `noData` is the empty vector, NaN or an infinity: the query ran but the
 * workload produced nothing to judge (usually no traffic). `error` is everything else that went
 * wrong, with a message fit for an event.
 */
export type MetricResult =
  | { kind: 'ok'; value: number }
  | { kind: 'noData'; reason: string }
  | { kind: 'error'; message: string };

export type OnlineResult = { online: true } | { online: false; message: string };

export interface MetricProvider {
  /** Run one instant query. `signal` cancels it (the stepper's deadline); it never throws. */
  query(text: string, signal?: AbortSignal): Promise<MetricResult>;
  /** Whether the provider answers a trivial query; for `davy validate --cluster` and start-up checks. */
  isOnline(signal?: AbortSignal): Promise<OnlineResult>;
}

/** What a factory needs: a MetricTemplate's `spec.provider`, resolved, or the metricsServer. */
export interface MetricProviderConfig {
  /** Base URL; a path prefix (`http://gw/prometheus`) is kept. Optional for providers with a default. */
  address?: string;
  /** Extra request headers (MetricTemplate `provider.headers`, Prometheus only in Flagger). */
  headers?: Record<string, string[]>;
  /**
   * The decoded `data` of the Secret named by `provider.secretRef`, in the template's namespace.
   * The caller resolves the Secret; undefined means the template names none.
   */
  secretData?: Record<string, string>;
  insecureSkipVerify?: boolean;
  /** CloudWatch only. */
  region?: string;
  /** Per-query timeout; each provider has its own default. */
  timeoutMs?: number;
  /**
   * The metric's `interval`: the providers that query a window (datadog, cloudwatch, newrelic,
   * dynatrace, splunk) look back a multiple of it. 60 s when unset.
   */
  intervalMs?: number;
  /** The clock of the query windows (tests fix it). */
  now?: () => Date;
}

export type MetricProviderFactory = (config: MetricProviderConfig) => MetricProvider;

/** Every provider type Flagger's MetricTemplate names has a factory: a missing one fails to compile. */
export type MetricProviderRegistry = Record<MetricProviderType, MetricProviderFactory>;

export const ok = (value: number): MetricResult => ({ kind: 'ok', value });
export const noData = (reason: string): MetricResult => ({ kind: 'noData', reason });
export const failure = (message: string): MetricResult => ({ kind: 'error', message });

/**
 * A provider that answers every call with the same error: for types Davy does not query yet and
 * for configurations a factory refuses (a Secret without credentials). The error then surfaces in
 * the metric's check like any other, instead of as an exception at wiring time.
 */
export function failingProvider(message: string): MetricProvider {
  return {
    query: () => Promise.resolve(failure(message)),
    isOnline: () => Promise.resolve({ online: false, message }),
  };
}

/** Flagger sends queries with whitespace runs collapsed to one space (strings.Fields, joined). */
export function collapseWhitespace(text: string): string {
  return text.split(/\s+/).filter((part) => part.length > 0).join(' ');
}
