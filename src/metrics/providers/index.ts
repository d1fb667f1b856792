// The metric provider registry, keyed by MetricTemplate `spec.provider.type`: every type Flagger
// knows has an entry, so adding a type to the API without deciding what Davy does fails to compile.

import type { MetricProviderRegistry } from '../provider.js';
import { prometheusProvider } from './prometheus.js';
import { notSupportedYet } from './unsupported.js';

export const METRIC_PROVIDERS: Readonly<MetricProviderRegistry> = {
  prometheus: prometheusProvider,
  influxdb: notSupportedYet('influxdb'),
  datadog: notSupportedYet('datadog'),
  cloudwatch: notSupportedYet('cloudwatch'),
  newrelic: notSupportedYet('newrelic'),
  graphite: notSupportedYet('graphite'),
  dynatrace: notSupportedYet('dynatrace'),
  stackdriver: notSupportedYet('stackdriver'),
  keptn: notSupportedYet('keptn'),
  splunk: notSupportedYet('splunk'),
  externalmetrics: notSupportedYet('externalmetrics'),
};
