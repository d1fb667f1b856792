// The routers' builtin metrics against a real Prometheus (issue 13): the test exporter serves each
// provider's own series, under its own metric and label names, for the tutorial's canary (90%
// success, every request in the 20-50 ms bucket) and for its stable side (all 5xx, slow), and
// the queries Davy renders for each tutorial must read back the canary's numbers only.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { eventually } from '../harness/process.js';
import { promQuery } from '../harness/prometheus.js';
import { effectiveAnalysis, type EffectiveMetric } from '../../src/api/defaults.js';
import { planMetric } from '../../src/metrics/evaluate.js';
import { queryScope } from '../../src/metrics/render.js';
import { canary as tutorial, type FixtureFile } from '../fixtures/routers/index.js';

/** No `-` or `.`: Skipper writes route ids with them as `_`, and its query pattern needs the name as is. */
const NS = 'routersmetrics';
type Labels = Record<string, string>;

interface Feed {
  /** Request counter (or a +Inf bucket) and the label that carries the status code. */
  counter: string;
  code: string;
  /** A histogram (`_bucket`) or a summary read as mean (`_sum`/`_count`), in `unit` per second. */
  latency: string;
  histogram: boolean;
  unit: number;
  canary: Labels;
  stable: Labels;
}

/** A Knative Service's latest created revision, as the runner reads it from the Service's status. */
const KNATIVE_REVISION = 'podinfo-00002';

/** Envoy's series (contour, gloo, kuma, App Mesh): the providers differ in the labels that name the copy. */
const envoy = (canary: Labels, stable: Labels): Feed =>
  ({ counter: 'envoy_cluster_upstream_rq', code: 'envoy_response_code', latency: 'envoy_cluster_upstream_rq_time', histogram: true, unit: 1000, canary, stable });

const FEEDS: [FixtureFile, Feed][] = [
  ['podinfo-canary-nginx', {
    counter: 'nginx_ingress_controller_requests', code: 'status', latency: 'nginx_ingress_controller_response_duration_seconds', histogram: false, unit: 1,
    canary: { namespace: NS, ingress: 'podinfo', canary: `${NS}-podinfo-canary-80` }, stable: { namespace: NS, ingress: 'podinfo', canary: '' },
  }],
  ['podinfo-canary-skipper', {
    counter: 'skipper_response_duration_seconds_bucket', code: 'code', latency: 'skipper_serve_route_duration_seconds', histogram: false, unit: 1,
    canary: { route: `kube_${NS}__podinfo_canary__app_example_com____podinfo_canary` }, stable: { route: `kube_${NS}__podinfo__app_example_com____podinfo` },
  }],
  ['podinfo-canary-contour', envoy({ envoy_cluster_name: `${NS}_podinfo-canary_80` }, { envoy_cluster_name: `${NS}_podinfo-primary_80` })],
  ['podinfo-canary-gloo', envoy({ envoy_cluster_name: `${NS}-podinfo-canaryupstream-9898_${NS}` }, { envoy_cluster_name: `${NS}-podinfo-primaryupstream-9898_${NS}` })],
  ['podinfo-canary-kuma', envoy({ service: `podinfo-canary_${NS}_svc_9898` }, { service: `podinfo-primary_${NS}_svc_9898` })],
  // Knative's queries select the revision under analysis, which the runner passes as {{ route }}.
  ['podinfo-canary-knative', envoy({ envoy_cluster_name: `${NS}/${KNATIVE_REVISION}` }, { envoy_cluster_name: `${NS}/podinfo-00001` })],
  ['podinfo-canary-appmesh', envoy({ kubernetes_namespace: NS, kubernetes_pod_name: 'podinfo-canary-7d9f8c6b5-x2x7k' }, { kubernetes_namespace: NS, kubernetes_pod_name: 'podinfo-7d9f8c6b5-q8w4z' })],
  ['podinfo-canary-traefik', {
    counter: 'traefik_service_request_duration_seconds_bucket', code: 'code', latency: 'traefik_service_request_duration_seconds', histogram: true, unit: 1,
    canary: { service: `${NS}-podinfo-canary-80@kubernetescrd` }, stable: { service: `${NS}-podinfo-primary-80@kubernetescrd` },
  }],
  ['podinfo-canary-apisix', {
    counter: 'apisix_http_status', code: 'code', latency: 'apisix_http_latency', histogram: true, unit: 1000,
    canary: { route: `${NS}_podinfo-podinfo-canary_method`, type: 'request' }, stable: { route: `${NS}_podinfo_method`, type: 'request' },
  }],
];

/** Bucket bounds in seconds; the canary's requests take 30 ms, the stable side's 2 s. */
const BOUNDS = [0.01, 0.02, 0.05, 0.1, 1, 5];

/**
 * Feeds one side: `n` requests so far, `success` of them not 5xx, each taking `seconds`. Traefik
 * counts requests with the `+Inf` bucket of its histogram, so there the buckets carry the code.
 */
function feed(f: Feed, labels: Labels, n: number, success: number, seconds: number): void {
  const { exporter } = e2e();
  const bucket = `${f.latency}_bucket`;
  const buckets = (extra: Labels, count: number) => {
    for (const le of BOUNDS) exporter.setGauge(bucket, { ...labels, ...extra, le: String(le * f.unit) }, seconds <= le ? count : 0);
    exporter.setGauge(bucket, { ...labels, ...extra, le: '+Inf' }, count);
  };
  const shared = f.counter === bucket;
  for (const [code, count] of [['200', n * success], ['500', n * (1 - success)]] as const) {
    if (shared) buckets({ [f.code]: code }, count);
    else exporter.setGauge(f.counter, { ...labels, ...(f.counter.endsWith('_bucket') ? { le: '+Inf' } : {}), [f.code]: code }, count);
  }
  if (f.histogram && !shared) buckets({}, n);
  exporter.setGauge(`${f.latency}_sum`, labels, n * seconds * f.unit);
  exporter.setGauge(`${f.latency}_count`, labels, n);
}

async function plans(file: FixtureFile): Promise<{ name: string; query: string; scale: number }[]> {
  const canary = tutorial(file);
  canary.metadata.namespace = NS;
  const analysis = effectiveAnalysis(canary.spec, { namespace: NS, meshProvider: 'contour' });
  const metrics = analysis.metrics.filter((m: EffectiveMetric) => m.source === 'builtin');
  const noTemplates = { template: () => Promise.resolve(undefined), secretData: () => Promise.resolve(undefined) };
  return Promise.all(metrics.map(async (metric) => {
    const scope = { ...queryScope(canary, analysis), ...(analysis.provider === 'knative' ? { routeName: KNATIVE_REVISION } : {}) };
    const plan = await planMetric(scope, analysis, metric, { lookup: noTemplates });
    if (plan.kind !== 'ready') throw new Error(`${file} ${metric.name}: ${plan.message}`);
    return { name: metric.name, query: plan.query, scale: plan.scale };
  }));
}

describe('routers: builtin metrics of the ingress and mesh tutorials against Prometheus', function () {
  this.timeout(120_000);

  it('when each provider\'s own series are fed, then the rendered queries read the canary side only: 90% success, 20-50 ms', async () => {
    let n = 0;
    const tick = () => {
      n += 50;
      for (const [, f] of FEEDS) {
        feed(f, f.canary, n, 0.9, 0.03);
        feed(f, f.stable, n, 0, 2);
      }
    };
    tick();
    const timer = setInterval(tick, 500);
    timer.unref();
    try {
      for (const [file] of FEEDS) {
        for (const { name, query, scale } of await plans(file)) {
          const value = await eventually(`${file} ${name} to have a value`, async () => {
            const result = await promQuery(e2e().prometheus.url, query);
            const v = result.length === 1 ? Number(result[0]!.value[1]) * scale : NaN;
            return Number.isFinite(v) ? v : undefined;
          }, 30_000, 500);
          if (name === 'request-success-rate') expect(value, `${file}: ${query}`).to.be.closeTo(90, 0.5);
          else expect(value, `${file}: ${query}`).to.be.within(20, 50);
        }
      }
    } finally {
      clearInterval(timer);
    }
  });
});
