// Flagger's other MetricTemplate provider types. The validator refuses them at admission; should a
// template slip through (created before Davy's webhook, or the webhook bypassed), its checks fail
// with this message rather than being routed to Prometheus as Flagger does with unknown types.
// Implementing one later is one new file next to prometheus.ts and one line in index.ts.

import type { MetricProviderType } from '../../api/types.js';
import { failingProvider, type MetricProviderFactory } from '../provider.js';

export const notSupportedMessage = (type: MetricProviderType): string =>
  `metric provider ${type} is not supported yet by Davy; use a prometheus MetricTemplate`;

export const notSupportedYet = (type: MetricProviderType): MetricProviderFactory => () => failingProvider(notSupportedMessage(type));
