// Contour: Envoy's upstream counters and timings for the cluster Contour makes of the canary
// Service, named `<ns>_<svc>-canary_<port>`, as Flagger reads them.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+"';

export const contourObserver: Observer = {
  'request-success-rate': { template: successRateQuery('envoy_cluster_upstream_rq', selector, 'envoy_response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('envoy_cluster_upstream_rq_time_bucket', selector), scale: 1 },
};
