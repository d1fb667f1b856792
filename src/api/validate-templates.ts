// MetricTemplate and AlertProvider specs.

import { FieldPath } from './field-errors.js';
import { message } from './messages.js';
import { DAVY_METRIC_PROVIDER_TYPES, METRIC_PROVIDER_TYPES } from './types.js';
import { checkSubdomain, checkUrl } from './validate-common.js';
import { asRecord, asString, isSet, type Json, type Report } from './validate-context.js';
import { checkQueryTemplate } from './validate-metrics.js';

const SPEC = FieldPath.root('spec');
/** Backends whose address Flagger requires (the others have a default or none). */
const ADDRESS_REQUIRED = new Set(['prometheus', 'graphite', 'dynatrace', 'influxdb', 'splunk']);
/** Backends that cannot query without credentials: the Secret keys Flagger reads (docs/metrics.md). */
const SECRET_REQUIRED: Readonly<Record<string, string>> = {
  datadog: 'datadog_api_key and datadog_application_key',
  newrelic: 'newrelic_account_id and newrelic_query_key',
  dynatrace: 'dynatrace_token',
  stackdriver: 'project and serviceAccountKey',
  splunk: 'sf_token_key',
};
/** Backends addressed by a cloud region rather than an address. */
const REGION_REQUIRED = new Set(['cloudwatch']);

export function checkMetricTemplateSpec(spec: Json, report: Report): void {
  const provider = asRecord(spec.provider);
  const path = SPEC.child('provider');
  if (provider) {
    const type = asString(provider.type);
    if (type !== undefined && !(METRIC_PROVIDER_TYPES as readonly string[]).includes(type)) {
      report.notSupported(path.child('type'), type, DAVY_METRIC_PROVIDER_TYPES);
    } else if (type !== undefined && !(DAVY_METRIC_PROVIDER_TYPES as readonly string[]).includes(type)) {
      report.notSupported(path.child('type'), type, DAVY_METRIC_PROVIDER_TYPES, 'notSupportedYet');
    }
    if (type !== undefined && ADDRESS_REQUIRED.has(type) && !isSet(provider.address)) {
      report.required(path.child('address'), message('metricProviderAddress', { type }));
    }
    const keys = type === undefined ? undefined : SECRET_REQUIRED[type];
    if (keys && !isSet(asRecord(provider.secretRef)?.name)) report.required(path.child('secretRef'), message('metricProviderSecret', { type: type ?? '', keys }));
    if (type !== undefined && REGION_REQUIRED.has(type) && !isSet(provider.region)) report.required(path.child('region'), message('metricProviderRegion', { type }));
    checkUrl(provider.address, path.child('address'), report);
    checkSubdomain(asRecord(provider.secretRef)?.name, path.child('secretRef').child('name'), report);
  }
  const query = asString(spec.query);
  if (query !== undefined) checkQueryTemplate(query, SPEC.child('query'), report);
}

export function checkAlertProviderSpec(spec: Json, report: Report): void {
  const hasAddress = isSet(spec.address);
  const hasSecret = isSet(spec.secretRef);
  if (!hasAddress && !hasSecret) report.required(SPEC.child('address'), message('addressOrSecret'));
  if (hasAddress && hasSecret) report.forbidden(SPEC.child('address'), 'addressAndSecret');
  checkUrl(spec.address, SPEC.child('address'), report);
  checkUrl(spec.proxy, SPEC.child('proxy'), report);
  const channel = asString(spec.channel);
  if (channel !== undefined && channel.trim() === '') report.invalid(SPEC.child('channel'), channel, 'channelEmpty');
  checkSubdomain(asRecord(spec.secretRef)?.name, SPEC.child('secretRef').child('name'), report);
}
