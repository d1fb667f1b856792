// Istio: the destination sidecar's `istio_requests_total` and
// `istio_request_duration_milliseconds`, by destination workload. Also the SMI providers' observer,
// as in Flagger.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}"';

export const istioObserver: Observer = {
  'request-success-rate': { template: successRateQuery('istio_requests_total', selector, 'response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('istio_request_duration_milliseconds_bucket', selector), scale: 1 },
};
