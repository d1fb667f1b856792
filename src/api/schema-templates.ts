// The MetricTemplate and AlertProvider schemas, as Flagger declares them.

import { ALERT_PROVIDER_TYPES, METRIC_PROVIDER_TYPES } from './types.js';
import { arr, bool, mapOf, obj, semanticEnumOf, enumOf, str, type Schema } from './schema-openapi.js';

const secretRef = (description: string): Schema => obj({ name: str('Secret name') }, { description, required: ['name'] });

export const metricTemplateSpecSchema = (): Schema =>
  obj(
    {
      provider: obj(
        {
          type: semanticEnumOf(METRIC_PROVIDER_TYPES, 'Metrics backend (Davy queries prometheus today)'),
          address: str('API address of the backend'),
          secretRef: secretRef('Secret in the template\'s namespace with the credentials'),
          headers: mapOf(arr(str()), 'Headers added to every query (Prometheus)'),
          region: str('Region (CloudWatch)'),
          insecureSkipVerify: bool('Skip TLS verification of the address'),
        },
        { description: 'Where the query runs', required: ['type'] },
      ),
      query: str('Go template of the query'),
    },
    { description: 'The desired state of a MetricTemplate', required: ['provider', 'query'] },
  );

export const alertProviderSpecSchema = (): Schema =>
  obj(
    {
      type: enumOf(ALERT_PROVIDER_TYPES, 'Chat service'),
      channel: str('Channel (default general)'),
      username: str('Bot user name (default flagger)'),
      address: str('Webhook URL'),
      proxy: str('HTTP or HTTPS proxy URL'),
      secretRef: secretRef('Secret in the provider\'s namespace whose address (and optional token) override the spec'),
    },
    {
      description: 'The desired state of an AlertProvider',
      required: ['type'],
      validations: [{ rule: 'has(self.address) != has(self.secretRef)', message: 'exactly one of address or secretRef is required' }],
    },
  );

export const genericStatusSchema = (condition: Schema): Schema => obj({ conditions: arr(condition) });

export const METRIC_TEMPLATE_SPEC_SCHEMA: Schema = metricTemplateSpecSchema();
export const ALERT_PROVIDER_SPEC_SCHEMA: Schema = alertProviderSpecSchema();
