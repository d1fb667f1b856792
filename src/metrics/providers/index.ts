// The metric provider registry, keyed by MetricTemplate `spec.provider.type`: every type Flagger
// knows has an entry, so adding a type to the API without deciding what Davy does fails to compile.
// keptn and externalmetrics reach the API server, so the full registry is built with the stepper's
// API client (metricProviderRegistry); METRIC_PROVIDERS is the one without a cluster.

import type { MetricProviderRegistry } from '../provider.js';
import { cloudwatchProvider } from './cloudwatch.js';
import { datadogProvider } from './datadog.js';
import type { ApiPathReader } from '../../kube/client.js';
import { dynatraceProvider } from './dynatrace.js';
import { externalMetricsProvider } from './externalmetrics.js';
import { graphiteProvider } from './graphite.js';
import { influxdbProvider } from './influxdb.js';
import { keptnProvider, type KeptnClient } from './keptn.js';
import { newrelicProvider } from './newrelic.js';
import { prometheusProvider } from './prometheus.js';
import { splunkProvider } from './splunk.js';
import { stackdriverProvider } from './stackdriver.js';

/** What the cluster-reading providers use; without it, their checks say why they cannot run. */
export interface ClusterAccess {
  /** keptn's custom resources. */
  kube?: KeptnClient;
  /** The external metrics API, when a template names no address. */
  api?: ApiPathReader;
}

export function metricProviderRegistry({ kube, api }: ClusterAccess = {}): Readonly<MetricProviderRegistry> {
  return {
    prometheus: prometheusProvider,
    influxdb: influxdbProvider,
    datadog: datadogProvider,
    cloudwatch: (config) => cloudwatchProvider(config),
    newrelic: newrelicProvider,
    graphite: graphiteProvider,
    dynatrace: dynatraceProvider,
    stackdriver: stackdriverProvider,
    keptn: keptnProvider(kube),
    splunk: splunkProvider,
    externalmetrics: externalMetricsProvider(api),
  };
}

export const METRIC_PROVIDERS: Readonly<MetricProviderRegistry> = metricProviderRegistry();
