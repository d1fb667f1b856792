// The metric provider registry, keyed by MetricTemplate `spec.provider.type`: every type Flagger
// knows has an entry, so adding a type to the API without deciding what Davy does fails to compile.
// keptn reads custom resources through the API server, so the full registry is built with the
// stepper's API client (metricProviderRegistry); METRIC_PROVIDERS is the one without a cluster.

import type { MetricProviderRegistry } from '../provider.js';
import { cloudwatchProvider } from './cloudwatch.js';
import { datadogProvider } from './datadog.js';
import { dynatraceProvider } from './dynatrace.js';
import { graphiteProvider } from './graphite.js';
import { influxdbProvider } from './influxdb.js';
import { keptnProvider, type KeptnClient } from './keptn.js';
import { newrelicProvider } from './newrelic.js';
import { prometheusProvider } from './prometheus.js';
import { splunkProvider } from './splunk.js';
import { stackdriverProvider } from './stackdriver.js';
import { notSupportedYet } from './unsupported.js';

/** Every provider; those that read the cluster use `kube` (without it, their checks say so). */
export function metricProviderRegistry(kube?: KeptnClient): Readonly<MetricProviderRegistry> {
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
    externalmetrics: notSupportedYet('externalmetrics'),
  };
}

export const METRIC_PROVIDERS: Readonly<MetricProviderRegistry> = metricProviderRegistry();
