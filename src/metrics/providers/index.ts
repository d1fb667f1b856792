// The metric provider registry, keyed by MetricTemplate `spec.provider.type`: every type Flagger
// knows has an entry, so adding a type to the API without deciding what Davy does fails to compile.

import type { MetricProviderRegistry } from '../provider.js';
import { cloudwatchProvider } from './cloudwatch.js';
import { datadogProvider } from './datadog.js';
import { dynatraceProvider } from './dynatrace.js';
import { graphiteProvider } from './graphite.js';
import { influxdbProvider } from './influxdb.js';
import { newrelicProvider } from './newrelic.js';
import { prometheusProvider } from './prometheus.js';
import { splunkProvider } from './splunk.js';
import { stackdriverProvider } from './stackdriver.js';
import { notSupportedYet } from './unsupported.js';

export const METRIC_PROVIDERS: Readonly<MetricProviderRegistry> = {
  prometheus: prometheusProvider,
  influxdb: influxdbProvider,
  datadog: datadogProvider,
  cloudwatch: (config) => cloudwatchProvider(config),
  newrelic: newrelicProvider,
  graphite: graphiteProvider,
  dynatrace: dynatraceProvider,
  stackdriver: stackdriverProvider,
  keptn: notSupportedYet('keptn'),
  splunk: splunkProvider,
  externalmetrics: notSupportedYet('externalmetrics'),
};
