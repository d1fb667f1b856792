// App Mesh: the Envoy sidecars' upstream counters and timings, by the pods of the workload under
// test (`<target>-canary-<hash>-<id>`), as Flagger reads them.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';

export const appmeshObserver: Observer = {
  'request-success-rate': { template: successRateQuery('envoy_cluster_upstream_rq', selector, 'envoy_response_code!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('envoy_cluster_upstream_rq_time_bucket', selector), scale: 1 },
};
