// Only the stepper identity may write a Canary's davy.dev/state (issue 11, finding 1): every way a
// write reaches /validate (update, patch, apply: all UPDATEs) and a CREATE that brings one along.
import { expect } from 'chai';
import type { AdmissionRequest, JsonObject } from '../../../src/admission/review.js';
import { stepperIdentity } from '../../../src/admission/mutate.js';
import { validateOutcome, type ValidateFn } from '../../../src/admission/validate-handler.js';
import { fixtureRequest } from '../../fixtures/admission/index.js';

const STEPPER_USER = 'system:serviceaccount:davy-system:davy-stepper';
const IDENTITY = stepperIdentity([STEPPER_USER, 'group:davy-steppers']);
const FORGED = JSON.stringify({ phase: 'Promoting', revision: 'abc' });
const STORED = JSON.stringify({ phase: 'Progressing', revision: 'abc', step: 1 });

let validatorCalls = 0;
const accepting: ValidateFn = () => {
  validatorCalls += 1;
  return Promise.resolve({ errors: [], warnings: [] });
};

function withState(object: JsonObject | undefined, state: string | undefined): void {
  const metadata = (object!.metadata ??= {}) as JsonObject;
  const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}) };
  if (state === undefined) delete annotations['davy.dev/state'];
  else annotations['davy.dev/state'] = state;
  metadata.annotations = annotations;
}

/** An UPDATE of a Canary (spec unchanged) from `before` to `after` state, sent by `username`. */
function update(before: string | undefined, after: string | undefined, username: string, groups: string[] = []): AdmissionRequest {
  const request = fixtureRequest('canary-annotation-update');
  withState(request.oldObject, before);
  withState(request.object, after);
  request.userInfo = { username, groups };
  return request;
}

describe('state guard: only the stepper writes davy.dev/state', () => {
  beforeEach(() => (validatorCalls = 0));

  for (const [name, before, after, verb] of [
    ['forges a phase where there was none', undefined, FORGED, 'adds'],
    ['changes the stored state', STORED, FORGED, 'changes'],
    ['removes the stored state', STORED, undefined, 'removes'],
  ] as const) {
    it(`when a user with edit rights ${name}, then the UPDATE is denied 403 naming the annotation, unvalidated`, async () => {
      const outcome = await validateOutcome(update(before, after, 'alice', ['system:authenticated']), accepting, IDENTITY);
      expect(outcome).to.include({ verdict: 'denied', reason: 'state-write-forbidden' });
      const status = outcome.review.response.status!;
      expect(status).to.include({ code: 403, reason: 'Forbidden' });
      expect(status.message).to.include('metadata.annotations[davy.dev/state]: Forbidden').and.include(`${verb} it as "alice"`);
      expect(status.details!.causes![0]).to.include({ reason: 'FieldValueForbidden', field: 'metadata.annotations[davy.dev/state]' });
      expect(validatorCalls).to.equal(0);
    });
  }

  it('when the stepper (by username or by group) writes the state, then it is allowed', async () => {
    expect((await validateOutcome(update(STORED, FORGED, STEPPER_USER), accepting, IDENTITY)).review.response.allowed).to.equal(true);
    expect((await validateOutcome(update(undefined, STORED, 'robot', ['davy-steppers']), accepting, IDENTITY)).review.response.allowed).to.equal(true);
  });

  it('when a user changes davy.dev/action and leaves the state as stored, then it is allowed', async () => {
    const request = update(STORED, STORED, 'alice');
    const outcome = await validateOutcome(request, accepting, IDENTITY);
    expect(outcome).to.include({ verdict: 'allowed', reason: 'spec-unchanged' });
  });

  it('when a user changes the spec and keeps the state, then the spec is validated as before', async () => {
    const request = update(STORED, STORED, 'alice');
    (request.object!.spec as JsonObject).provider = 'kubernetes';
    expect((await validateOutcome(request, accepting, IDENTITY)).reason).to.equal('valid');
    expect(validatorCalls).to.equal(1);
  });

  it('when a CREATE brings a state along (a Canary re-created with a forged phase), then it is denied; without one it is validated', async () => {
    const forged = fixtureRequest('canary-create');
    withState(forged.object, FORGED);
    expect((await validateOutcome(forged, accepting, IDENTITY)).reason).to.equal('state-write-forbidden');
    expect((await validateOutcome(fixtureRequest('canary-create'), accepting, IDENTITY)).reason).to.equal('valid');
  });

  it('when an anonymous request touches the state, then the denial says so', async () => {
    const outcome = await validateOutcome(update(undefined, FORGED, ''), accepting, IDENTITY);
    expect(outcome.review.response.status!.message).to.include('as an anonymous user');
  });

  it('when the object is a MetricTemplate carrying such an annotation, then the guard does not apply', async () => {
    const request = update(undefined, FORGED, 'alice');
    request.kind = { group: 'flagger.app', version: 'v1beta1', kind: 'MetricTemplate' };
    expect((await validateOutcome(request, accepting, IDENTITY)).review.response.allowed).to.equal(true);
  });
});
