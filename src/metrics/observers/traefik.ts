// Traefik: its per-service request histogram for the canary Service as the TraefikService names
// it (`<ns>-<svc>-canary-<port>@kubernetescrd`). Success rate counts the `+Inf` bucket; duration
// is the P99 of the same histogram, seconds scaled to ms.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'service=~"{{ namespace }}-{{ service }}-canary-[0-9a-zA-Z-]+@kubernetescrd"';
const histogram = 'traefik_service_request_duration_seconds_bucket';

export const traefikObserver: Observer = {
  'request-success-rate': { template: successRateQuery(histogram, `${selector}, le="+Inf"`, 'code!~"5.."'), scale: 1 },
  'request-duration': { template: p99Query(histogram, selector), scale: 1000 },
};
