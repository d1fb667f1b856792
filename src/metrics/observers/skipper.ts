// Skipper: its per-route response histograms for the routes of the canary Ingress that go to
// `<svc>-canary`. Skipper names a route `kube[ew]_<ns>__<ingress>__<host>__<path>__<backend>`
// with every non-word character as `_`; the pattern below writes the namespace, the ingress and
// the service as they are, so (as in Flagger, which builds the same pattern) those names must not
// contain `-` or `.` for the query to match. Success rate counts the `+Inf` bucket; duration is
// the mean of the route's serve time, as Flagger's.

import { meanQuery, successRateQuery, type Observer } from './observer.js';

const route = 'route=~"kube(ew)?_{{ namespace }}__{{ ingress }}_canary__.*__{{ service }}_canary(_[0-9]+)?"';
const serve = 'skipper_serve_route_duration_seconds';

export const skipperObserver: Observer = {
  'request-success-rate': { template: successRateQuery('skipper_response_duration_seconds_bucket', `${route}, le="+Inf"`, 'code!~"5.."'), scale: 1 },
  'request-duration': { template: meanQuery(serve, route), scale: 1000 },
};
