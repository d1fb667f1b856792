// The app-exported `http_request_duration_seconds` histogram (kubernetes provider, Gateway API):
// selected by pod name, so the canary copy's pods `<target>-canary-<hash>-<id>` and never the
// stable `<target>-<hash>-<id>`. The histogram is in seconds; durations are reported in ms.

import { p99Query, successRateQuery, type Observer } from './observer.js';

const selector = 'kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';

export const httpObserver: Observer = {
  'request-success-rate': { template: successRateQuery('http_request_duration_seconds_count', selector, 'status!~"5.*"'), scale: 1 },
  'request-duration': { template: p99Query('http_request_duration_seconds_bucket', selector), scale: 1000 },
};
