// The table of invalid Canaries: each case mutates a valid fixture and expects exactly these
// formatted errors (path and message), no more, no fewer.

import { expect } from 'chai';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { validateCanary, validateResource } from '../../../src/api/validate.js';
import { canaryCases } from './canary-cases.js';
import { AB_PROVIDER_LIST, fixture } from './helpers.js';

describe('validateCanary: invalid specs', () => {
  for (const c of canaryCases) {
    it(`when ${c.when}, then it reports ${c.rule}`, () => {
      const doc = fixture(c.fixture);
      c.mutate(doc);
      const result = validateResource(doc);
      expect(result.errors.map(formatFieldError).sort()).to.deep.equal([...c.errors].sort());
      expect(validateCanary(doc).errors).to.deep.equal(result.errors);
    });
  }

  it('when the table is counted, then it holds at least 60 invalid Canaries', () => {
    expect(canaryCases.length).to.be.at.least(60);
  });

  it('when stepWeight exceeds maxWeight, then the message reads like Kubernetes\' own', () => {
    const doc = fixture('canary-istio.yaml');
    doc.spec.analysis.stepWeight = 60;
    expect(validateCanary(doc).errors.map(formatFieldError)).to.deep.equal([
      'spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)',
    ]);
  });

  it('when three independent mistakes are made, then all three are reported at once', () => {
    const doc = fixture('canary-istio.yaml');
    doc.spec.analysis.stepWeight = 60;
    doc.spec.analysis.interval = 'soon';
    doc.spec.analysis.metrics[0].name = 'request-succes-rate';
    expect(validateCanary(doc).errors.map((e) => e.path)).to.have.members([
      'spec.analysis.stepWeight',
      'spec.analysis.interval',
      'spec.analysis.metrics[0].name',
    ]);
  });

  it('when the Canary names no provider, then the mesh provider option decides what it may use', () => {
    const doc = fixture('canary-ab.yaml');
    delete doc.spec.provider;
    expect(validateCanary(doc).errors).to.deep.equal([]);
    expect(validateCanary(doc, { meshProvider: 'linkerd' }).errors.map(formatFieldError)).to.deep.equal([
      `spec.analysis.match: Forbidden: A/B routing on match is supported only by provider ${AB_PROVIDER_LIST}; the canary runs with provider linkerd`,
    ]);
  });

  it('when MetricTemplate is passed to validateCanary, then the kind is refused', () => {
    const doc = fixture('metrictemplate.yaml');
    expect(validateCanary(doc).errors.map(formatFieldError)).to.include('kind: Unsupported value: "MetricTemplate": supported values: "Canary"');
  });
});
