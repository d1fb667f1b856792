// Kuma: the data plane Envoys' upstream counters and timings, by the Kuma service of the canary
// Service (`<svc>-canary_<ns>_svc_<port>`), as Flagger reads them.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'service=~"{{ service }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+"';

export const kumaObserver: Observer = {
  'request-success-rate': { template: successRateQuery('envoy_cluster_upstream_rq', selector, 'envoy_response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('envoy_cluster_upstream_rq_time_bucket', selector), scale: 1 },
};
