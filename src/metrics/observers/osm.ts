// Open Service Mesh: the Envoy sidecar's `osm_request_total` and `osm_request_duration_ms`, by
// destination Deployment.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name="{{ target }}"';

export const osmObserver: Observer = {
  'request-success-rate': { template: successRateQuery('osm_request_total', selector, 'response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('osm_request_duration_ms_bucket', selector), scale: 1 },
};
