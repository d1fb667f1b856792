// The ingress controllers', Kuma's and App Mesh's builtin queries of Flagger's tutorials, rendered as the stepper sends them,
// against the queries Flagger's observers build (flagger-compat §6).
import { expect } from 'chai';
import { effectiveAnalysis, type EffectiveMetric } from '../../../src/api/defaults.js';
import { planMetric, type TemplateLookup } from '../../../src/metrics/evaluate.js';
import { queryScope } from '../../../src/metrics/render.js';
import { canary as tutorial, type FixtureFile } from '../../fixtures/routers/index.js';

const noTemplates: TemplateLookup = { template: () => Promise.resolve(undefined), secretData: () => Promise.resolve(undefined) };

async function plans(file: FixtureFile, meshProvider?: 'contour'): Promise<Record<string, { query: string; scale: number }>> {
  const canary = tutorial(file);
  const analysis = effectiveAnalysis(canary.spec, { namespace: 'test', ...(meshProvider ? { meshProvider } : {}) });
  const out: Record<string, { query: string; scale: number }> = {};
  for (const metric of analysis.metrics.filter((m: EffectiveMetric) => m.source === 'builtin')) {
    const plan = await planMetric(queryScope(canary, analysis), analysis, metric, { lookup: noTemplates });
    if (plan.kind !== 'ready') throw new Error(plan.message);
    out[metric.name] = { query: plan.query, scale: plan.scale };
  }
  return out;
}

describe('observers: the ingress tutorials', () => {
  it('when the NGINX canary is rendered, then the canary upstream\'s requests on ingress podinfo are counted', async () => {
    const sel = 'namespace="test", ingress="podinfo", canary!=""';
    const rendered = await plans('podinfo-canary-nginx');
    expect(rendered['request-success-rate']).to.deep.equal({
      query: `sum(rate(nginx_ingress_controller_requests{${sel}, status!~"5.*"}[1m])) / sum(rate(nginx_ingress_controller_requests{${sel}}[1m])) * 100`,
      scale: 1,
    });
  });

  it('when the NGINX duration is planned, then it is the mean response time, seconds scaled to ms', async () => {
    const canary = tutorial('podinfo-canary-nginx');
    canary.spec.analysis!.metrics!.push({ name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' });
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const plan = await planMetric(queryScope(canary, analysis), analysis, analysis.metrics[1]!, { lookup: noTemplates });
    const sel = 'namespace="test", ingress="podinfo", canary!=""';
    expect(plan).to.deep.include({
      query: `sum(rate(nginx_ingress_controller_response_duration_seconds_sum{${sel}}[30s])) / sum(rate(nginx_ingress_controller_response_duration_seconds_count{${sel}}[30s]))`,
      scale: 1000,
    });
  });

  it('when the Skipper canary is rendered, then the canary Ingress\'s routes to podinfo-canary are selected', async () => {
    const route = 'route=~"kube(ew)?_test__podinfo_canary__.*__podinfo_canary(_[0-9]+)?"';
    expect(await plans('podinfo-canary-skipper')).to.deep.equal({
      'request-success-rate': {
        query: `sum(rate(skipper_response_duration_seconds_bucket{${route}, le="+Inf", code!~"5.."}[1m])) / sum(rate(skipper_response_duration_seconds_bucket{${route}, le="+Inf"}[1m])) * 100`,
        scale: 1,
      },
      'request-duration': {
        query: `sum(rate(skipper_serve_route_duration_seconds_sum{${route}}[1m])) / sum(rate(skipper_serve_route_duration_seconds_count{${route}}[1m]))`,
        scale: 1000,
      },
    });
  });

  it('when the Contour canary is rendered (--mesh-provider contour), then Envoy\'s cluster of podinfo-canary is read', async () => {
    const sel = 'envoy_cluster_name=~"test_podinfo-canary_[0-9a-zA-Z-]+"';
    expect(await plans('podinfo-canary-contour', 'contour')).to.deep.equal({
      'request-success-rate': {
        query: `sum(rate(envoy_cluster_upstream_rq{${sel}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${sel}}[1m])) * 100`,
        scale: 1,
      },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[30s])))`, scale: 1 },
    });
  });

  it('when the Traefik canary is rendered, then the histogram of service test-podinfo-canary-<port>@kubernetescrd is read', async () => {
    const sel = 'service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd"';
    const h = 'traefik_service_request_duration_seconds_bucket';
    expect(await plans('podinfo-canary-traefik')).to.deep.equal({
      'request-success-rate': { query: `sum(rate(${h}{${sel}, le="+Inf", code!~"5.."}[1m])) / sum(rate(${h}{${sel}, le="+Inf"}[1m])) * 100`, scale: 1 },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(${h}{${sel}}[1m])))`, scale: 1000 },
    });
  });

  it('when the Gloo canary is rendered, then Envoy\'s cluster of the canary Upstream is read', async () => {
    const sel = 'envoy_cluster_name=~"test-podinfo-canaryupstream-[0-9]+_test"';
    expect(await plans('podinfo-canary-gloo')).to.deep.equal({
      'request-success-rate': {
        query: `sum(rate(envoy_cluster_upstream_rq{${sel}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${sel}}[1m])) * 100`,
        scale: 1,
      },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[30s])))`, scale: 1 },
    });
  });

  it('when the Kuma canary is rendered, then the Envoy counters of service podinfo-canary_test_svc_<port> are read', async () => {
    const sel = 'service=~"podinfo-canary_test_svc_[0-9a-zA-Z-]+"';
    expect(await plans('podinfo-canary-kuma')).to.deep.equal({
      'request-success-rate': {
        query: `sum(rate(envoy_cluster_upstream_rq{${sel}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${sel}}[1m])) * 100`,
        scale: 1,
      },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[30s])))`, scale: 1 },
    });
  });

  it('when the APISIX canary is rendered, then the canary ApisixRoute podinfo-podinfo-canary is selected', async () => {
    const route = 'route=~"test_podinfo-podinfo-canary_.+"';
    expect(await plans('podinfo-canary-apisix')).to.deep.equal({
      'request-success-rate': { query: `sum(rate(apisix_http_status{${route}, code!~"5.."}[1m])) / sum(rate(apisix_http_status{${route}}[1m])) * 100`, scale: 1 },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(apisix_http_latency_bucket{type=~"request", ${route}}[30s])))`, scale: 1 },
    });
  });

  it('when the App Mesh canary is rendered, then the Envoy counters of the podinfo-canary pods are read', async () => {
    const sel = 'kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-canary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
    expect(await plans('podinfo-canary-appmesh')).to.deep.equal({
      'request-success-rate': {
        query: `sum(rate(envoy_cluster_upstream_rq{${sel}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${sel}}[1m])) * 100`,
        scale: 1,
      },
      'request-duration': { query: `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[30s])))`, scale: 1 },
    });
  });
});
