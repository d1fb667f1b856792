// Legal but suspicious specs: accepted (no errors) with these warnings. And the shared examples.

import { expect } from 'chai';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { validateCanary, validateResource } from '../../../src/api/validate.js';
import { fixture, flaggerExamples, type Doc } from './helpers.js';

interface WarningCase {
  when: string;
  fixture: string;
  mutate: (doc: Doc) => void;
  warnings: string[];
}

const ISTIO = 'canary-istio.yaml';
const AB = 'canary-ab.yaml';
const a = (d: Doc): Doc => d.spec.analysis as Doc;

const cases: WarningCase[] = [
  {
    when: 'the weights take 50 one-minute steps',
    fixture: ISTIO,
    mutate: (d) => { a(d).stepWeight = 2; a(d).maxWeight = 100; },
    warnings: ['spec.analysis: the analysis takes at least 50m (50 steps every 1m), more than 30 minutes'],
  },
  {
    when: 'the canary moves 1% per 10s step to 100%',
    fixture: ISTIO,
    mutate: (d) => { a(d).stepWeight = 1; a(d).maxWeight = 100; a(d).interval = '10s'; a(d).webhooks[0].timeout = '5s'; },
    warnings: ['spec.analysis.stepWeight: steps of 1% need 100 intervals to reach maxWeight 100', 'spec.analysis: 100 steps is more than 50; each step waits a whole interval'],
  },
  { when: 'the interval is 5s', fixture: AB, mutate: (d) => (a(d).interval = '5s'), warnings: ['spec.analysis.interval: 5s is below 10s: Davy steps every 10s, as Flagger does'] },
  {
    when: 'maxWeight is not a multiple of stepWeight',
    fixture: ISTIO,
    mutate: (d) => (a(d).stepWeight = 30),
    warnings: ['spec.analysis.maxWeight: 50 is not a multiple of stepWeight 30: the last step goes to 50 (Flagger would go to 60)'],
  },
  { when: 'a blue/green analysis sets maxWeight', fixture: AB, mutate: (d) => (a(d).maxWeight = 50), warnings: ['spec.analysis.maxWeight: ignored with iterations (blue/green or A/B testing)'] },
  {
    when: 'the kubernetes provider is given weights',
    fixture: ISTIO,
    mutate: (d) => {
      d.spec.provider = 'kubernetes';
      delete d.spec.service.gateways;
      delete d.spec.service.retries;
      a(d).stepWeightPromotion = 10;
    },
    warnings: [
      'spec.analysis: provider kubernetes cannot split traffic: this canary runs blue/green with 10 iterations, as in Flagger',
      'spec.analysis.stepWeightPromotion: ignored with provider kubernetes, which cannot split traffic',
    ],
  },
  {
    when: 'an OSM canary keeps Istio gateways and retries',
    fixture: ISTIO,
    mutate: (d) => (d.spec.provider = 'osm'),
    warnings: [
      'spec.service.gateways: ignored by provider osm (used by istio, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3)',
      'spec.service.retries: ignored by provider osm (used by istio, contour, appmesh, appmesh:v1beta2)',
    ],
  },
  {
    when: 'the Canary sets an ingressRef',
    fixture: ISTIO,
    mutate: (d) => (d.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' }),
    warnings: ['spec.ingressRef: ignored by provider istio (used by nginx, skipper)'],
  },
  {
    when: 'a metric uses the legacy threshold and an inline query',
    fixture: ISTIO,
    mutate: (d) => {
      a(d).metrics.push({ name: '404s', threshold: 3, query: 'sum(rate(x[1m]))' });
    },
    warnings: [
      'spec.analysis.metrics[3].threshold: deprecated, use thresholdRange (a minimum for request-success-rate, a maximum otherwise)',
      'spec.analysis.metrics[3].query: deprecated, use a MetricTemplate and templateRef; Davy runs it against metricsServer',
    ],
  },
  {
    when: 'a metric has no threshold at all',
    fixture: ISTIO,
    mutate: (d) => delete a(d).metrics[1].thresholdRange,
    warnings: ['spec.analysis.metrics[1]: no threshold and no thresholdRange: the check always passes and its value is only recorded'],
  },
  {
    when: 'revertOnDeletion is true',
    fixture: ISTIO,
    mutate: (d) => (d.spec.revertOnDeletion = true),
    warnings: ['spec.revertOnDeletion: accepted for compatibility: Davy always removes its objects and releases its hold when a Canary is deleted'],
  },
  { when: 'an alert has no severity', fixture: ISTIO, mutate: (d) => delete a(d).alerts[0].severity, warnings: ['spec.analysis.alerts[0].severity: empty: Davy sends info and above (Flagger would send nothing)'] },
  {
    when: 'an A/B test has a confirm-traffic-increase hook',
    fixture: AB,
    mutate: (d) => (a(d).webhooks = [{ name: 'gate', type: 'confirm-traffic-increase', url: 'http://gate/' }]),
    warnings: ['spec.analysis.webhooks[0]: confirm-traffic-increase hooks run only in a weighted canary; this ab-testing analysis never calls it'],
  },
  {
    when: 'the rollout hooks may take longer than the interval',
    fixture: ISTIO,
    mutate: (d) => (a(d).webhooks[1].timeout = '2m'),
    warnings: ['spec.analysis.webhooks: rollout hooks may take 2m together, longer than the interval 1m'],
  },
  {
    when: 'a ScaledObject autoscalerRef has primaryScalerQueries and primaryScalerReplicas',
    fixture: ISTIO,
    mutate: (d) => (d.spec.autoscalerRef = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'so', primaryScalerQueries: { t: 'up' }, primaryScalerReplicas: { minReplicas: 1 } }),
    warnings: [
      'spec.autoscalerRef.primaryScalerQueries: accepted for compatibility and not used: Davy leaves the stable workload to your own ScaledObject, and copies it (queries rewritten) for the canary',
      'spec.autoscalerRef.primaryScalerReplicas: accepted for compatibility and not used: Davy leaves the stable workload to your own autoscaler, and copies it for the canary',
    ],
  },
];

describe('validateCanary: warnings', () => {
  it('when the Istio fixture is validated unchanged, then it has no errors and no warnings', () => {
    expect(validateCanary(fixture(ISTIO))).to.deep.equal({ errors: [], warnings: [] });
    expect(validateCanary(fixture(AB))).to.deep.equal({ errors: [], warnings: [] });
  });

  for (const c of cases) {
    it(`when ${c.when}, then it is accepted with a warning`, () => {
      const doc = fixture(c.fixture);
      c.mutate(doc);
      const result = validateCanary(doc);
      expect(result.errors.map(formatFieldError)).to.deep.equal([]);
      expect(result.warnings).to.have.members(c.warnings);
      // The API server may truncate an admission warning longer than 256 characters.
      for (const w of result.warnings) expect(w.length, w).to.be.at.most(256);
    });
  }
});

describe('the shared examples', () => {
  const expected: Record<string, string[]> = {
    'podinfo-canary-keda-bluegreen.yaml': [
      'spec.autoscalerRef.primaryScalerQueries: accepted for compatibility and not used: Davy leaves the stable workload to your own ScaledObject, and copies it (queries rewritten) for the canary',
      'spec.autoscalerRef.primaryScalerReplicas: accepted for compatibility and not used: Davy leaves the stable workload to your own autoscaler, and copies it for the canary',
    ],
    'podinfo-canary-osm-404s.yaml': [
      'spec.analysis.metrics[2].threshold: deprecated, use thresholdRange (a minimum for request-success-rate, a maximum otherwise)',
      'spec.analysis.metrics[2].query: deprecated, use a MetricTemplate and templateRef; Davy runs it against metricsServer',
    ],
  };
  const examples = flaggerExamples();

  it('when the examples are listed, then there are five Canaries', () => {
    expect(examples.filter((e) => e.doc.kind === 'Canary')).to.have.length(5);
  });

  for (const { file, doc } of examples) {
    it(`when ${file} is validated as written, then it has no error`, () => {
      const result = validateResource(doc);
      expect(result.errors.map(formatFieldError)).to.deep.equal([]);
      expect(result.warnings).to.have.members(expected[file] ?? []);
    });
  }
});
