// Knative: Envoy's upstream counters and timings for the cluster of the revision under analysis,
// named `<ns>/<revision>`, as Flagger reads them. `{{ route }}` is that revision: for a Knative
// target the runner passes the Service's `status.latestCreatedRevisionName` (Davy runs no copy
// of a Knative Service, so `{{ target }}` would name nothing that serves).

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'envoy_cluster_name=~"{{ namespace }}/{{ route }}"';

export const knativeObserver: Observer = {
  'request-success-rate': { template: successRateQuery('envoy_cluster_upstream_rq', selector, 'envoy_response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('envoy_cluster_upstream_rq_time_bucket', selector), scale: 1 },
};
