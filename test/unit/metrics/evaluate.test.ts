// One tick's metric checks, with a fake provider registry: builtin, inline and template metrics,
// every verdict, the template and secret lookups, and the concurrency bound.
import { expect } from 'chai';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import type { Canary, MetricTemplate } from '../../../src/api/types.js';
import { evaluateMetrics, type MetricCheck, type TemplateLookup } from '../../../src/metrics/evaluate.js';
import { METRIC_PROVIDERS } from '../../../src/metrics/providers/index.js';
import type { MetricProviderConfig, MetricProviderRegistry, MetricResult } from '../../../src/metrics/provider.js';
import { canaryFixture, metricTemplateFixture } from '../../fixtures/metrics/index.js';

/** A registry whose prometheus answers by the first rule whose needle the query contains. */
class FakeProviders {
  readonly configs: MetricProviderConfig[] = [];
  readonly queries: string[] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly rules: [string, MetricResult][]) {}

  registry(): MetricProviderRegistry {
    return {
      ...METRIC_PROVIDERS,
      prometheus: (config) => {
        this.configs.push(config);
        return {
          query: async (text, signal) => {
            this.queries.push(text);
            this.signals.push(signal);
            this.inFlight += 1;
            this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
            for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
            this.inFlight -= 1;
            return this.rules.find(([needle]) => text.includes(needle))?.[1] ?? { kind: 'error', message: `no rule for ${text}` };
          },
          isOnline: () => Promise.resolve({ online: true }),
        };
      },
    };
  }
}

const lookup = (templates: MetricTemplate[] = [], secrets: Record<string, Record<string, string>> = {}): TemplateLookup => ({
  template: (name, namespace) => Promise.resolve(templates.find((t) => t.metadata.name === name && t.metadata.namespace === namespace)),
  secretData: (name, namespace) => Promise.resolve(secrets[`${namespace}/${name}`]),
});

async function run(canary: Canary, fake: FakeProviders, templateLookup = lookup(), extra: { signal?: AbortSignal } = {}): Promise<MetricCheck[]> {
  const analysis = effectiveAnalysis(canary.spec, { namespace: canary.metadata.namespace! });
  return evaluateMetrics(canary, analysis, { lookup: templateLookup, providers: fake.registry(), ...extra });
}

const okValue = (value: number): MetricResult => ({ kind: 'ok', value });

describe('evaluate: the OSM tutorial\'s checks', () => {
  it('when every metric is within its thresholds, then each check is ok with its query, value and bounds', async () => {
    const fake = new FakeProviders([['osm_request_total{', okValue(100)], ['osm_request_duration_ms_bucket', okValue(40)]]);
    const checks = await run(canaryFixture('podinfo-canary-osm'), fake);
    expect(checks.map((c) => [c.name, c.verdict, c.value, c.min, c.max, c.message])).to.deep.equal([
      ['request-success-rate', 'ok', 100, 99, undefined, 'success rate 100.00% >= 99%'],
      ['request-duration', 'ok', 40, undefined, 500, 'request duration 0.04s <= 0.5s'],
    ]);
    expect(checks[0]!.query).to.include('destination_name="podinfo-canary"');
    expect(fake.configs[0]).to.deep.equal({ address: 'http://prometheus:9090' });
  });

  it('when the success rate and duration are out of range, then the checks fail with the tutorial\'s messages', async () => {
    const fake = new FakeProviders([['osm_request_total{', okValue(69.17)], ['osm_request_duration_ms_bucket', okValue(1200)]]);
    const checks = await run(canaryFixture('podinfo-canary-osm'), fake);
    expect(checks.map((c) => [c.verdict, c.message])).to.deep.equal([
      ['failed', 'success rate 69.17% < 99%'],
      ['failed', 'request duration 1.20s > 0.5s'],
    ]);
  });

  it('when the 404s percentage is above its legacy threshold, then the custom check fails as in the tutorial', async () => {
    const fake = new FakeProviders([['response_code!="404"', okValue(6.2)], ['osm_request_total{', okValue(100)], ['bucket', okValue(10)]]);
    const checks = await run(canaryFixture('podinfo-canary-osm-404s'), fake);
    expect(checks[2]).to.deep.include({ name: '404s percentage', verdict: 'failed', value: 6.2, max: 3, message: '404s percentage 6.20 > 3' });
    expect(checks[2]!.query).to.include('destination_name="podinfo-canary"').and.not.include('destination_name="podinfo"');
  });

  it('when a query has no data, then the check is noData with Flagger\'s wording and the copy\'s name', async () => {
    const fake = new FakeProviders([['osm_request_total{', { kind: 'noData', reason: 'the query returned no series (empty vector)' }], ['bucket', okValue(1)]]);
    const [check] = await run(canaryFixture('podinfo-canary-osm'), fake);
    expect(check).to.deep.include({
      verdict: 'noData',
      message: 'no values found for osm metric request-success-rate probably podinfo-canary.test is not receiving traffic: the query returned no series (empty vector)',
    });
    expect(check).not.to.have.property('value');
  });

  it('when Prometheus fails, then the check is an error carrying its message', async () => {
    const fake = new FakeProviders([['osm_request_total{', { kind: 'error', message: 'prometheus: POST x: connect ECONNREFUSED' }], ['bucket', okValue(1)]]);
    const [check] = await run(canaryFixture('podinfo-canary-osm'), fake);
    expect(check).to.deep.include({ verdict: 'error', message: 'Prometheus query failed for request-success-rate: prometheus: POST x: connect ECONNREFUSED' });
  });

  it('when the caller passes a signal, then every query receives it', async () => {
    const fake = new FakeProviders([['osm', okValue(100)]]);
    const controller = new AbortController();
    await run(canaryFixture('podinfo-canary-osm'), fake, lookup(), { signal: controller.signal });
    expect(fake.signals).to.deep.equal([controller.signal, controller.signal]);
  });
});

describe('evaluate: units and odd metrics', () => {
  it('when the kubernetes canary\'s http histogram answers seconds, then the duration is judged in ms', async () => {
    const fake = new FakeProviders([['_count', okValue(100)], ['_bucket', okValue(0.04)]]);
    const checks = await run(canaryFixture('podinfo-canary-keda-bluegreen'), fake);
    expect(checks[1]).to.deep.include({ verdict: 'ok', value: 40 });
  });

  it('when a metric has neither a builtin name, a query nor a templateRef, then the check says so', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.metrics = [{ name: 'latency', thresholdRange: { max: 1 } }];
    const [check] = await run(canary, new FakeProviders([]));
    expect(check).to.deep.include({ verdict: 'error', message: 'Metric query failed for no usable metrics template and query were configured' });
  });

  it('when a metric has no threshold, then it passes and its value is recorded', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.metrics = [{ name: 'rps', query: 'sum(rate(osm_request_total{destination_name="podinfo"}[1m]))' }];
    const [check] = await run(canary, new FakeProviders([['osm', okValue(12.5)]]));
    expect(check).to.deep.include({ verdict: 'ok', value: 12.5, message: 'rps 12.50 (no threshold)' });
  });

  it('when an inline query uses an unknown variable, then the check is an error and keeps the unrendered text', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.metrics = [{ name: 'bad', query: 'up{job="{{ job }}"}' }];
    const [check] = await run(canary, new FakeProviders([]));
    expect(check).to.deep.include({ verdict: 'error', query: 'up{job="{{ job }}"}' });
    expect(check!.message).to.include('Metric query failed for bad').and.include('unknown variable "job"');
  });

  it('when many metrics run with a bound of 2, then at most 2 queries are in flight and results keep their order', async () => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.metrics = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ name: n, query: `up{n="${n}"}` }));
    const fake = new FakeProviders(['a', 'b', 'c', 'd', 'e'].map((n, i) => [`"${n}"`, okValue(i)] as [string, MetricResult]));
    const analysis = effectiveAnalysis(canary.spec, { namespace: 'test' });
    const checks = await evaluateMetrics(canary, analysis, { lookup: lookup(), providers: fake.registry(), concurrency: 2 });
    expect(checks.map((c) => [c.name, c.value])).to.deep.equal([['a', 0], ['b', 1], ['c', 2], ['d', 3], ['e', 4]]);
    expect(fake.maxInFlight).to.equal(2);
  });
});

describe('evaluate: MetricTemplates', () => {
  const templated = (): Canary => {
    const canary = canaryFixture('podinfo-canary-osm');
    canary.spec.analysis!.metrics = [{ name: 'error-rate', templateRef: { name: 'error-rate' }, templateVariables: { reporter: 'destination' }, thresholdRange: { max: 1 }, interval: '2m' }];
    return canary;
  };

  it('when the template and its secret exist, then its provider gets address, headers and secret data, and the query is rendered', async () => {
    const template = metricTemplateFixture();
    template.spec.provider.headers = { 'X-Scope-OrgID': ['a'] };
    const fake = new FakeProviders([['istio_requests_total', okValue(0.5)]]);
    const [check] = await run(templated(), fake, lookup([template], { 'test/prom-auth': { username: 'u', password: 'p' } }));
    expect(check).to.deep.include({ verdict: 'ok', value: 0.5, max: 1 });
    expect(check!.query).to.include('reporter="destination"').and.include('destination_workload="podinfo-canary"').and.include('[2m]');
    expect(fake.configs[0]).to.deep.equal({
      address: 'http://prometheus.monitoring:9090/prom',
      headers: { 'X-Scope-OrgID': ['a'] },
      secretData: { username: 'u', password: 'p' },
      intervalMs: 120_000,
    });
  });

  it('when the template is another namespace\'s and not shared with the Canary\'s, then the check is an error and neither its Secret nor its provider is used', async () => {
    const canary = templated();
    canary.spec.analysis!.metrics![0]!.templateRef = { name: 'error-rate', namespace: 'team-b' };
    const template = metricTemplateFixture();
    template.metadata.namespace = 'team-b';
    let secretsRead = 0;
    const counting: TemplateLookup = { ...lookup([template]), secretData: () => (secretsRead++, Promise.resolve({ token: 'b' })) };
    const fake = new FakeProviders([['istio_requests_total', okValue(0.5)]]);
    const [check] = await run(canary, fake, counting);
    expect(check).to.deep.include({ verdict: 'error' });
    expect(check!.message).to.include('Metric template error-rate.team-b error: MetricTemplate "error-rate" of namespace team-b is not shared with namespace test');
    expect([secretsRead, fake.configs.length]).to.deep.equal([0, 0]);

    template.metadata.annotations = { 'davy.dev/shared-with': 'test' };
    const [shared] = await run(canary, fake, counting);
    expect(shared).to.deep.include({ verdict: 'ok', value: 0.5 });
  });

  it('when the template does not exist, then the check is an error naming it', async () => {
    const [check] = await run(templated(), new FakeProviders([]));
    expect(check).to.deep.include({ verdict: 'error', message: 'Metric template error-rate.test error: not found' });
  });

  it('when the template\'s secret does not exist, then the check is an error naming the secret', async () => {
    const [check] = await run(templated(), new FakeProviders([]), lookup([metricTemplateFixture()]));
    expect(check).to.deep.include({ verdict: 'error', message: 'Metric template error-rate.test secret prom-auth error: not found' });
  });

  it('when the lookup throws, then the check is an error with its message', async () => {
    const failing: TemplateLookup = { template: () => Promise.reject(new Error('forbidden: metrictemplates')), secretData: () => Promise.resolve({}) };
    const [check] = await run(templated(), new FakeProviders([]), failing);
    expect(check).to.deep.include({ verdict: 'error', message: 'Metric template error-rate.test error: forbidden: metrictemplates' });
  });

  it('when the template names a provider that reads the cluster and no API client is wired, then the check says so', async () => {
    const template = metricTemplateFixture();
    template.spec.provider = { type: 'keptn' };
    const [check] = await run(templated(), new FakeProviders([]), lookup([template]));
    expect(check).to.deep.include({ verdict: 'error' });
    expect(check!.message).to.include('keptn: the provider reads Keptn\'s resources and needs the stepper\'s API client');
  });
});
