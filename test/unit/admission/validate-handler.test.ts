// The /validate plumbing: one denial listing every error, warnings as admission warnings.
import { expect } from 'chai';
import type { AdmissionRequest, JsonObject } from '../../../src/admission/review.js';
import { denialMessage, statusCause, validateOutcome, type ValidateFn } from '../../../src/admission/validate-handler.js';
import type { FieldError, ValidationResult } from '../../../src/api/field-errors.js';
import { fixtureRequest } from '../../fixtures/admission/index.js';

/** The stepper identity no request of these tests carries. */
const NO_STEPPER = { usernames: ['system:serviceaccount:davy-system:davy-stepper'], groups: [] };

const THREE_ERRORS: FieldError[] = [
  { path: 'spec.analysis.stepWeight', type: 'Invalid', value: 60, detail: 'must not exceed maxWeight (50)' },
  { path: 'spec.provider', type: 'NotSupported', value: 'foo', detail: '', supported: ['istio', 'linkerd'] },
  { path: 'spec.service.port', type: 'Required', detail: '' },
];

/** A validator double that records what it was called with. */
function validator(result: ValidationResult): ValidateFn & { calls: JsonObject[] } {
  const calls: JsonObject[] = [];
  const fn = (object: JsonObject, _request: AdmissionRequest) => {
    calls.push(object);
    return Promise.resolve(result);
  };
  return Object.assign(fn, { calls });
}

describe('validate handler', () => {
  it('when the validator finds three errors, then one 422 denial lists all three in the apiserver\'s words', async () => {
    const request = fixtureRequest('canary-create');
    const outcome = await validateOutcome(request, validator({ errors: THREE_ERRORS, warnings: [] }), NO_STEPPER);
    expect(outcome).to.include({ verdict: 'denied', reason: 'invalid' });
    const { response } = outcome.review;
    expect(response).to.include({ uid: request.uid, allowed: false });
    expect(response.status).to.include({ status: 'Failure', code: 422, reason: 'Invalid' });
    expect(response.status!.message).to.equal(
      'Canary.flagger.app "podinfo" is invalid: [spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50), ' +
        'spec.provider: Unsupported value: "foo": supported values: "istio", "linkerd", spec.service.port: Required value]',
    );
    expect(response.status!.details!.causes!.map((c) => [c.reason, c.field])).to.deep.equal([
      ['FieldValueInvalid', 'spec.analysis.stepWeight'],
      ['FieldValueNotSupported', 'spec.provider'],
      ['FieldValueRequired', 'spec.service.port'],
    ]);
  });

  it('when the validator finds three errors, then the Status is exactly what kubectl renders as one line per cause, each path once', async () => {
    const request = fixtureRequest('canary-create');
    const outcome = await validateOutcome(request, validator({ errors: THREE_ERRORS, warnings: ['analysis runs 45m, over 30m'] }), NO_STEPPER);
    expect(outcome.review).to.deep.equal({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: request.uid,
        allowed: false,
        status: {
          status: 'Failure',
          code: 422,
          reason: 'Invalid',
          message:
            'Canary.flagger.app "podinfo" is invalid: [spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50), ' +
            'spec.provider: Unsupported value: "foo": supported values: "istio", "linkerd", spec.service.port: Required value]',
          details: {
            name: 'podinfo',
            group: 'flagger.app',
            kind: 'Canary',
            causes: [
              { reason: 'FieldValueInvalid', field: 'spec.analysis.stepWeight', message: 'Invalid value: 60: must not exceed maxWeight (50)' },
              { reason: 'FieldValueNotSupported', field: 'spec.provider', message: 'Unsupported value: "foo": supported values: "istio", "linkerd"' },
              { reason: 'FieldValueRequired', field: 'spec.service.port', message: 'Required value' },
            ],
          },
        },
        warnings: ['analysis runs 45m, over 30m'],
      },
    });
    // kubectl's rendering (cmdutil.checkErr): `The <kind> "<name>" is invalid: ` then `<field>: <message>` per cause.
    const causes = outcome.review.response.status!.details!.causes!;
    expect(causes.map((c) => `${c.field}: ${c.message}`)).to.deep.equal([
      'spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)',
      'spec.provider: Unsupported value: "foo": supported values: "istio", "linkerd"',
      'spec.service.port: Required value',
    ]);
  });

  it('when an error of every type becomes a cause, then its message never starts with its own path', () => {
    const errors: FieldError[] = [
      { path: 'spec.a', type: 'Required', detail: 'needed' },
      { path: 'spec.b', type: 'Invalid', value: 'x', detail: 'bad' },
      { path: 'spec.c', type: 'NotSupported', value: 'y', detail: '', supported: ['z'] },
      { path: 'spec.d', type: 'Forbidden', detail: 'not here' },
      { path: 'spec.e[0]', type: 'Duplicate', value: 'v' },
      { path: 'spec.f', type: 'TooLong', detail: 'at most 63 characters' },
      { path: 'spec.g', type: 'NotFound', value: 'tmpl', detail: 'no such MetricTemplate' },
    ].map((e) => ({ detail: '', ...e }) as FieldError);
    expect(errors.map(statusCause)).to.deep.equal([
      { reason: 'FieldValueRequired', field: 'spec.a', message: 'Required value: needed' },
      { reason: 'FieldValueInvalid', field: 'spec.b', message: 'Invalid value: "x": bad' },
      { reason: 'FieldValueNotSupported', field: 'spec.c', message: 'Unsupported value: "y": supported values: "z"' },
      { reason: 'FieldValueForbidden', field: 'spec.d', message: 'Forbidden: not here' },
      { reason: 'FieldValueDuplicate', field: 'spec.e[0]', message: 'Duplicate value: "v"' },
      { reason: 'FieldValueTooLong', field: 'spec.f', message: 'Too long: at most 63 characters' },
      { reason: 'FieldValueNotFound', field: 'spec.g', message: 'Not found: "tmpl": no such MetricTemplate' },
    ]);
  });

  it('when an error has no path, then its cause has no field and the message is the error alone', () => {
    expect(statusCause({ path: '', type: 'Required', detail: 'a spec' })).to.deep.equal({ reason: 'FieldValueRequired', message: 'Required value: a spec' });
  });

  it('when there is one error, then the message has no brackets', () => {
    const request = fixtureRequest('canary-create');
    expect(denialMessage(request, 'podinfo', THREE_ERRORS.slice(0, 1))).to.equal(
      'Canary.flagger.app "podinfo" is invalid: spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)',
    );
  });

  it('when the object is valid with warnings, then it is allowed and the warnings become admission warnings', async () => {
    const outcome = await validateOutcome(fixtureRequest('canary-create'), validator({ errors: [], warnings: ['analysis runs 45m, over 30m'] }), NO_STEPPER);
    expect(outcome.verdict).to.equal('allowed');
    expect(outcome.review.response).to.deep.equal({ uid: fixtureRequest('canary-create').uid, allowed: true, warnings: ['analysis runs 45m, over 30m'] });
  });

  it('when errors and warnings come together, then the denial carries the warnings too', async () => {
    const outcome = await validateOutcome(fixtureRequest('canary-create'), validator({ errors: THREE_ERRORS, warnings: ['w'] }), NO_STEPPER);
    expect(outcome.review.response.warnings).to.deep.equal(['w']);
  });

  it('when the operation is DELETE, then it is allowed without calling the validator', async () => {
    const validate = validator({ errors: THREE_ERRORS, warnings: [] });
    const outcome = await validateOutcome(fixtureRequest('canary-delete'), validate, NO_STEPPER);
    expect(outcome.review.response.allowed).to.equal(true);
    expect(validate.calls).to.have.length(0);
  });

  it('when an UPDATE changes only metadata (e.g. davy abort\'s annotation), then it is allowed without re-validating the spec', async () => {
    const validate = validator({ errors: THREE_ERRORS, warnings: [] });
    const outcome = await validateOutcome(fixtureRequest('canary-annotation-update'), validate, NO_STEPPER);
    expect(outcome).to.include({ verdict: 'allowed', reason: 'spec-unchanged' });
    expect(validate.calls).to.have.length(0);
  });

  it('when an UPDATE changes the spec, then the new object is validated', async () => {
    const request = fixtureRequest('canary-annotation-update');
    (request.object!.spec as JsonObject).provider = 'kubernetes';
    const validate = validator({ errors: [], warnings: [] });
    await validateOutcome(request, validate, NO_STEPPER);
    expect(validate.calls).to.deep.equal([request.object]);
  });

  it('when a CREATE carries no object, then it is denied with 400', async () => {
    const request = fixtureRequest('canary-create');
    delete request.object;
    const outcome = await validateOutcome(request, validator({ errors: [], warnings: [] }), NO_STEPPER);
    expect(outcome.review.response.status).to.include({ code: 400, reason: 'BadRequest' });
  });

  it('when the object uses generateName, then the message names the prefix', async () => {
    const request = fixtureRequest('canary-create');
    request.name = '';
    request.object!.metadata = { generateName: 'podinfo-' };
    const outcome = await validateOutcome(request, validator({ errors: THREE_ERRORS.slice(2), warnings: [] }), NO_STEPPER);
    expect(outcome.review.response.status!.message).to.match(/^Canary\.flagger\.app "podinfo-" is invalid/);
  });

  it('when the validator rejects, then the error propagates for the edge to fail closed', async () => {
    const failing: ValidateFn = () => Promise.reject(new Error('lookup failed'));
    let caught: unknown;
    await validateOutcome(fixtureRequest('canary-create'), failing, NO_STEPPER).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(Error);
  });
});
