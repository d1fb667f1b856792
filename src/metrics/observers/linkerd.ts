// Linkerd: the proxy's inbound `response_total` (classified success/failure) and
// `response_latency_ms`, by deployment.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"';

export const linkerdObserver: Observer = {
  'request-success-rate': { template: successRateQuery('response_total', selector, 'classification!="failure"'), scale: 1 },
  'request-duration': { template: p99Query('response_latency_ms_bucket', selector), scale: 1 },
};
