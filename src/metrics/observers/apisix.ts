// APISIX: its Prometheus plugin's `apisix_http_status` and `apisix_http_latency`, for the canary
// ApisixRoute Davy writes (`<routeRef>-<svc>-canary`; APISIX labels its routes
// `<ns>_<apisixroute>_<http route>`). The user's route needs the prometheus plugin with
// `prefer_name: true`, as in Flagger's tutorial, for the label to carry these names.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const route = 'route=~"{{ namespace }}_{{ route }}-{{ service }}-canary_.+"';

export const apisixObserver: Observer = {
  'request-success-rate': { template: successRateQuery('apisix_http_status', route, 'code!~"5.."'), scale: 1 },
  'request-duration': { template: p99Query('apisix_http_latency_bucket', `type=~"request", ${route}`), scale: 1 },
};
