// The builtin queries of the example canaries, exactly as the stepper sends them: each selects the
// canary copy `<target>-canary`, over the metric's own interval.
import { expect } from 'chai';
import { effectiveAnalysis, type EffectiveMetric } from '../../../src/api/defaults.js';
import { planMetric, type TemplateLookup } from '../../../src/metrics/evaluate.js';
import { queryScope } from '../../../src/metrics/render.js';
import { canaryFixture, type CanaryFixture } from '../../fixtures/metrics/index.js';

const noTemplates: TemplateLookup = {
  template: () => Promise.resolve(undefined),
  secretData: () => Promise.resolve(undefined),
};

async function builtinQueries(fixture: CanaryFixture, meshProvider?: 'istio'): Promise<Record<string, string>> {
  const canary = canaryFixture(fixture);
  const analysis = effectiveAnalysis(canary.spec, { namespace: canary.metadata.namespace!, ...(meshProvider ? { meshProvider } : {}) });
  const queries: Record<string, string> = {};
  for (const metric of analysis.metrics.filter((m: EffectiveMetric) => m.source === 'builtin')) {
    const plan = await planMetric(queryScope(canary, analysis), analysis, metric, { lookup: noTemplates });
    if (plan.kind !== 'ready') throw new Error(plan.message);
    queries[metric.name] = plan.query;
  }
  return queries;
}

describe('observers: the example canaries\' builtin queries', () => {
  it('when the OSM podinfo canary is rendered, then both queries select destination_name="podinfo-canary"', async () => {
    const sel = 'destination_namespace="test", destination_kind="Deployment", destination_name="podinfo-canary"';
    expect(await builtinQueries('podinfo-canary-osm')).to.deep.equal({
      'request-success-rate':
        `sum(rate(osm_request_total{${sel}, response_code!~"5.*"}[1m])) / sum(rate(osm_request_total{${sel}}[1m])) * 100`,
      'request-duration': `histogram_quantile(0.99, sum by (le) (rate(osm_request_duration_ms_bucket{${sel}}[30s])))`,
    });
  });

  it('when the Istio reviews canary is rendered with the default mesh provider, then it selects destination_workload "reviews-canary"', async () => {
    const sel = 'reporter="destination", destination_workload_namespace="default", destination_workload=~"reviews-canary"';
    expect(await builtinQueries('reviews-canary-istio', 'istio')).to.deep.equal({
      'request-success-rate':
        `sum(rate(istio_requests_total{${sel}, response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{${sel}}[1m])) * 100`,
      'request-duration': `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[30s])))`,
    });
  });

  it('when the mhs canary is rendered, then its 30s windows and namespace are used', async () => {
    const queries = await builtinQueries('mhs-canary-istio');
    expect(queries['request-success-rate']).to.include('destination_workload_namespace="application", destination_workload=~"mhs-canary"').and.include('[30s]');
  });

  it('when the kubernetes blue/green canary is rendered, then the http histogram selects the copy\'s pods', async () => {
    const sel = 'kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-canary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
    expect(await builtinQueries('podinfo-canary-keda-bluegreen')).to.deep.equal({
      'request-success-rate':
        `sum(rate(http_request_duration_seconds_count{${sel}, status!~"5.*"}[1m])) / sum(rate(http_request_duration_seconds_count{${sel}}[1m])) * 100`,
      'request-duration': `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[30s])))`,
    });
  });

  it('when a canary uses linkerd, then the inbound response_total of deployment "<target>-canary" is read', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.provider = 'linkerd';
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const plan = await planMetric(queryScope(canary, analysis), analysis, analysis.metrics[1]!, { lookup: noTemplates });
    expect(plan).to.have.property('query',
      'histogram_quantile(0.99, sum by (le) (rate(response_latency_ms_bucket{namespace="test", deployment=~"podinfo-canary", direction="inbound"}[30s])))');
  });

  it('when the kubernetes observer\'s duration is planned, then seconds are scaled to milliseconds', async () => {
    const canary = canaryFixture('podinfo-canary-keda-bluegreen');
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const plan = await planMetric(queryScope(canary, analysis), analysis, analysis.metrics[1]!, { lookup: noTemplates });
    expect(plan).to.have.property('scale', 1000);
  });

  it('when a knative canary is planned with its latest revision as the route, then both queries select that revision\'s Envoy cluster', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.provider = 'knative';
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const scope = { ...queryScope(canary, analysis), routeName: 'podinfo-00002' };
    const [success, duration] = await Promise.all(analysis.metrics.map((m) => planMetric(scope, analysis, m, { lookup: noTemplates })));
    const sel = 'envoy_cluster_name=~"test/podinfo-00002"';
    expect(success).to.have.property('query',
      `sum(rate(envoy_cluster_upstream_rq{${sel}, envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{${sel}}[1m])) * 100`);
    expect(duration).to.have.property('query', `histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[30s])))`);
  });

  it('when a knative canary has no revision yet, then the plan is an error saying so', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.provider = 'knative';
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const plan = await planMetric(queryScope(canary, analysis), analysis, analysis.metrics[0]!, { lookup: noTemplates });
    expect(plan).to.have.property('message').that.includes('its Service has no revision yet');
  });

  it('when rewriteQueries is false, then the builtins still select the copy', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.rewriteQueries = false;
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const plan = await planMetric(queryScope(canary, analysis), analysis, analysis.metrics[0]!, { lookup: noTemplates });
    expect(plan).to.have.property('query').that.includes('destination_name="podinfo-canary"');
  });
});
