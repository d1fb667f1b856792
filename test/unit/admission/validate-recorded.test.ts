// The /validate answer, with Davy's real validator, on Canary reviews recorded from a real
// apiserver: the Status each one got, which kubectl printed as
//   The Canary "three-mistakes" is invalid:
//   * spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)
//   * ...
// (each cause as `<field>: <message>`, the path once).
import { expect } from 'chai';
import { stepperIdentity } from '../../../src/admission/mutate.js';
import { validateOutcome, type ValidateFn } from '../../../src/admission/validate-handler.js';
import { validateResource } from '../../../src/api/validate.js';
import { recordedRequest } from '../../fixtures/admission/index.js';

const validate: ValidateFn = (object) => Promise.resolve(validateResource(object));
const STEPPER = stepperIdentity(['system:serviceaccount:davy-system:davy-stepper']);
const BLUE_GREEN = 'spec.analysis: provider kubernetes cannot split traffic: this canary runs blue/green with 10 iterations, as in Flagger';

describe('validate handler on reviews recorded from a real apiserver', () => {
  it('when a Canary with three independent mistakes is created, then one 422 lists all three, each cause with its field once', async () => {
    const outcome = await validateOutcome(recordedRequest('canary-create-three-mistakes'), validate, STEPPER);
    expect(outcome.verdict).to.equal('denied');
    const { status, warnings } = outcome.review.response;
    expect(status).to.deep.equal({
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message:
        'Canary.flagger.app "three-mistakes" is invalid: [spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50), ' +
        'spec.analysis.metrics[1].name: Unsupported value: "made-up-metric": not a builtin metric: a custom metric needs templateRef or query; supported values: "request-success-rate", "request-duration", ' +
        'spec.analysis.webhooks[0].url: Invalid value: "ftp://flagger-loadtester.test/": must be an absolute http or https URL]',
      details: {
        name: 'three-mistakes',
        group: 'flagger.app',
        kind: 'Canary',
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: 60: must not exceed maxWeight (50)', field: 'spec.analysis.stepWeight' },
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "made-up-metric": not a builtin metric: a custom metric needs templateRef or query; supported values: "request-success-rate", "request-duration"',
            field: 'spec.analysis.metrics[1].name',
          },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "ftp://flagger-loadtester.test/": must be an absolute http or https URL', field: 'spec.analysis.webhooks[0].url' },
        ],
      },
    });
    expect(warnings).to.deep.equal([BLUE_GREEN]);
  });

  it('when a Canary with one mistake is created, then the message names it without brackets', async () => {
    const { status } = (await validateOutcome(recordedRequest('canary-create-one-mistake'), validate, STEPPER)).review.response;
    expect(status!.message).to.equal('Canary.flagger.app "one-mistake" is invalid: spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)');
    expect(status!.details!.causes).to.deep.equal([{ reason: 'FieldValueInvalid', message: 'Invalid value: 60: must not exceed maxWeight (50)', field: 'spec.analysis.stepWeight' }]);
  });

  it('when a legal but slow Canary is created, then it is allowed with both warnings, which kubectl prints as Warning: lines', async () => {
    const { response } = (await validateOutcome(recordedRequest('canary-create-with-warnings'), validate, STEPPER)).review;
    expect(response.allowed).to.equal(true);
    expect(response.warnings).to.deep.equal([BLUE_GREEN, 'spec.analysis: the analysis takes at least 1h40m (10 steps every 10m), more than 30 minutes']);
  });
});
