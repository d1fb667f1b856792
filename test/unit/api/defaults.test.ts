import { expect } from 'chai';
import { effectiveAnalysis, effectiveIntervalMs, promotionLadder, weightLadder } from '../../../src/api/defaults.js';
import { strategyOf } from '../../../src/api/strategy.js';
import type { CanarySpec } from '../../../src/api/types.js';
import { fixture, flaggerExamples } from './helpers.js';

const spec = (name: string): CanarySpec => fixture<{ spec: CanarySpec }>(name).spec;
const example = (file: string): CanarySpec => flaggerExamples().find((e) => e.file === file)!.doc.spec as CanarySpec;

describe('strategyOf', () => {
  it('when the analysis has weights, then the strategy is canary', () => expect(strategyOf(spec('canary-istio.yaml'))).to.equal('canary'));
  it('when the analysis has match and iterations, then the strategy is ab-testing', () => expect(strategyOf(spec('canary-ab.yaml'))).to.equal('ab-testing'));
  it('when the analysis has iterations only, then the strategy is blue-green', () => {
    const s = spec('canary-ab.yaml');
    delete s.analysis!.match;
    expect(strategyOf(s)).to.equal('blue-green');
  });
  it('when the provider is kubernetes, then the strategy is blue-green even with weights', () => {
    const s = spec('canary-istio.yaml');
    s.provider = 'kubernetes';
    expect(strategyOf(s)).to.equal('blue-green');
  });
  it('when the Canary names no provider, then the mesh provider decides', () => {
    const s = spec('canary-istio.yaml');
    delete s.provider;
    expect(strategyOf(s, 'kubernetes')).to.equal('blue-green');
    expect(strategyOf(s, 'istio')).to.equal('canary');
  });
});

describe('weightLadder and promotionLadder', () => {
  it('when stepWeight 5 and maxWeight 50, then the ladder is 5..50', () => expect(weightLadder(5, undefined, 50)).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]));
  it('when stepWeight 30 and maxWeight 50, then the last step is capped at 50', () => expect(weightLadder(30, undefined, 50)).to.deep.equal([30, 50]));
  it('when maxWeight is unset, then it is 100', () => expect(weightLadder(25, undefined, undefined)).to.deep.equal([25, 50, 75, 100]));
  it('when stepWeights is given, then it is the ladder', () => expect(weightLadder(undefined, [1, 2, 10, 80], undefined)).to.deep.equal([1, 2, 10, 80]));
  it('when stepWeightPromotion is 20 from maxWeight 50, then the primary goes 70, 90, 100', () => expect(promotionLadder(20, 50)).to.deep.equal([70, 90, 100]));
  it('when stepWeightPromotion is unset, then the primary goes to 100 at once', () => expect(promotionLadder(undefined, 50)).to.deep.equal([100]));
  it('when a step is not a whole percentage (5e-324, 0.5), then there is no ladder rather than billions of rungs', () => {
    expect(weightLadder(5e-324, undefined, 50)).to.deep.equal([]);
    expect(weightLadder(0.5, undefined, 50)).to.deep.equal([]);
    expect(promotionLadder(5e-324, 50)).to.deep.equal([100]);
  });
});

describe('effectiveAnalysis', () => {
  it('when the OSM example is read, then every default is filled in', () => {
    const e = effectiveAnalysis(example('podinfo-canary-osm.yaml'), { namespace: 'test' });
    expect(e).to.deep.include({
      provider: 'osm',
      observer: 'osm',
      strategy: 'canary',
      canaryWorkloadName: 'podinfo-canary',
      intervalMs: 30_000,
      threshold: 5,
      iterations: 0,
      maxWeight: 50,
      promotionWeights: [100],
      mirror: false,
      mirrorWeight: 100,
      primaryReadyThreshold: 100,
      canaryReadyThreshold: 100,
      progressDeadlineMs: 60_000,
      skipAnalysis: false,
      rewriteQueries: true,
      metricsServer: 'http://prometheus:9090',
    });
    expect(e.weights).to.have.length(10);
    expect(e.service).to.deep.equal({ name: 'podinfo', primaryName: 'podinfo-primary', canaryName: 'podinfo-canary', port: 9898, portName: 'http', targetPort: 9898, gateways: [] });
    expect(e.webhooks.map((w) => [w.name, w.type, w.timeoutMs, w.retries])).to.deep.equal([['acceptance-test', 'pre-rollout', 30_000, 0], ['load-test', 'rollout', 5000, 0]]);
    expect(e.metrics.map((m) => [m.name, m.source, m.intervalMs, m.min, m.max, m.onNoData])).to.deep.equal([
      ['request-success-rate', 'builtin', 60_000, 99, undefined, 'fail'],
      ['request-duration', 'builtin', 30_000, undefined, 500, 'fail'],
    ]);
  });

  it('when the KEDA example is read, then the kubernetes provider runs 5 blue/green iterations on the http observer', () => {
    const e = effectiveAnalysis(example('podinfo-canary-keda-bluegreen.yaml'));
    expect(e).to.deep.include({ provider: 'kubernetes', observer: 'http', strategy: 'blue-green', iterations: 5, intervalMs: 15_000, weights: [] });
    expect(e.service.name).to.equal('podinfo-svc');
    expect(e.service.canaryName).to.equal('podinfo-svc-canary');
  });

  it('when a kubernetes canary gives weights and no iterations, then it runs 10 iterations', () => {
    const s = spec('canary-istio.yaml');
    s.provider = 'kubernetes';
    expect(effectiveAnalysis(s)).to.deep.include({ strategy: 'blue-green', iterations: 10, weights: [] });
  });

  it('when the legacy threshold is used, then success rate reads it as a minimum and others as a maximum', () => {
    const e = effectiveAnalysis(example('podinfo-canary-osm-404s.yaml'));
    expect(e.metrics[2]).to.deep.include({ name: '404s percentage', source: 'query', max: 3 });
    expect(e.metrics[2]!.min).to.equal(undefined);
    expect(e.metrics[2]!.intervalMs).to.equal(60_000);
  });

  it('when the Istio fixture is read, then Davy\'s additions and references are resolved', () => {
    const e = effectiveAnalysis(spec('canary-istio.yaml'), { namespace: 'test' });
    expect(e.metrics[2]).to.deep.include({ source: 'template', onNoData: 'hold', templateRef: { name: 'error-rate', namespace: 'istio-system' } });
    expect(e.alerts).to.deep.equal([{ name: 'on-call', severity: 'error', providerRef: { name: 'on-call', namespace: 'flagger' } }]);
    expect(e.service.gateways).to.deep.equal(['public-gateway']);
  });

  it('when no provider is named, then the stepper\'s mesh provider and metrics server apply', () => {
    const s = spec('canary-istio.yaml');
    delete s.provider;
    expect(effectiveAnalysis(s, { meshProvider: 'linkerd', metricsServer: 'http://prom:9090' })).to.deep.include({ provider: 'linkerd', observer: 'linkerd', metricsServer: 'http://prom:9090' });
    expect(effectiveAnalysis(s).provider).to.equal('istio');
  });

  it('when the interval is unset, unparsable or short, then it is 60s, 60s or 10s', () => {
    expect(effectiveIntervalMs(undefined)).to.equal(60_000);
    expect(effectiveIntervalMs('soon')).to.equal(60_000);
    expect(effectiveIntervalMs('5s')).to.equal(10_000);
  });

  it('when session affinity has no maxAge, then it is a day', () => {
    const s = spec('canary-istio.yaml');
    s.analysis!.sessionAffinity = { cookieName: 'canary' };
    expect(effectiveAnalysis(s).sessionAffinity).to.deep.equal({ cookieName: 'canary', maxAgeSeconds: 86_400 });
  });

  // Found by the validator's property test (fast-check seed 1526843358): a template literal over an
  // unvalidated name threw "Cannot convert object to primitive value".
  it('when targetRef.name is not a string, then it names no workload instead of throwing', () => {
    const s = spec('canary-istio.yaml');
    (s.targetRef as unknown as { name: unknown }).name = { toString: null };
    (s.service as unknown as { name: unknown }).name = [];
    const analysis = effectiveAnalysis(s);
    expect([analysis.canaryWorkloadName, analysis.service.canaryName]).to.deep.equal(['-canary', '-canary']);
  });
});
