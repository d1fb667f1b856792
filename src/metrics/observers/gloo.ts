// Gloo: Envoy's upstream counters and timings for the cluster Gloo makes of the canary Upstream,
// named `<upstream>_<namespace>` (the Upstream being `<ns>-<svc>-canaryupstream-<port>`).

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'envoy_cluster_name=~"{{ namespace }}-{{ service }}-canaryupstream-[0-9]+_{{ namespace }}"';

export const glooObserver: Observer = {
  'request-success-rate': { template: successRateQuery('envoy_cluster_upstream_rq', selector, 'envoy_response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('envoy_cluster_upstream_rq_time_bucket', selector), scale: 1 },
};
