// ingress-nginx: the controller's `nginx_ingress_controller_requests` and response-duration
// summary, for the requests its canary upstream served (`canary` is the upstream's name, empty
// for the stable one) on the Canary's ingressRef. As in Flagger, the duration is the mean
// (sum / count), not a P99: ingress-nginx's histogram buckets are too coarse for one.

import { meanQuery, successRateQuery, type Observer } from './observer.js';

const selector = 'namespace="{{ namespace }}", ingress="{{ ingress }}", canary!=""';
const series = 'nginx_ingress_controller_response_duration_seconds';

export const nginxObserver: Observer = {
  'request-success-rate': { template: successRateQuery('nginx_ingress_controller_requests', selector, 'status!~"5.*"'), scale: 1 },
  'request-duration': { template: meanQuery(series, selector), scale: 1000 },
};
