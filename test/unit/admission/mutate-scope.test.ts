// What the mutating webhook leaves alone, and the properties that hold for every fixture:
// dry-run gives the same answer, and reinvocation on the patched object gives no patch.
import { expect } from 'chai';
import { decideMutation, isStepper, mutateOutcome, stepperIdentity } from '../../../src/admission/mutate.js';
import type { AdmissionRequest } from '../../../src/admission/review.js';
import { applyJsonPatch, fixtureRequest, responsePatch, workload, type FixtureName } from '../../fixtures/admission/index.js';

const identity = stepperIdentity(['system:serviceaccount:davy-system:davy-stepper']);
const decide = (request: AdmissionRequest) => decideMutation(request, identity);

const WORKLOAD_FIXTURES: FixtureName[] = [
  'deployment-set-image',
  'deployment-set-image-dry-run',
  'deployment-scale-while-held',
  'deployment-rollout-resume-while-held',
  'deployment-revert-while-held',
  'deployment-edit-stable-revision',
  'deployment-stepper-release',
  'deployment-not-bootstrapped',
  'deployment-user-paused-new-image',
  'deployment-create',
  'deployment-realistic-10kb',
  'daemonset-set-image',
  'daemonset-revert-while-held',
];

describe('mutate: scope and invariants', () => {
  it('when the operation is CREATE, then the object is allowed unchanged', () => {
    expect(decide(fixtureRequest('deployment-create'))).to.deep.include({ verdict: 'allowed', reason: 'not-an-update', patch: [] });
  });

  it('when the kind is a StatefulSet or a Deployment of another group, then it is allowed unchanged', () => {
    for (const kind of [{ group: 'apps', version: 'v1', kind: 'StatefulSet' }, { group: 'extensions', version: 'v1beta1', kind: 'Deployment' }]) {
      const request = fixtureRequest('deployment-set-image');
      request.kind = kind;
      expect(decide(request).reason).to.equal('not-a-workload');
    }
  });

  it('when the request targets a subresource, then it is allowed unchanged', () => {
    const request = fixtureRequest('deployment-set-image');
    request.subResource = 'scale';
    expect(decide(request)).to.deep.include({ reason: 'subresource', patch: [] });
  });

  it('when neither object carries davy.dev/canary, then the update is allowed unchanged', () => {
    const request = fixtureRequest('deployment-set-image');
    delete workload(request.object).metadata.labels!['davy.dev/canary'];
    delete workload(request.oldObject).metadata.labels!['davy.dev/canary'];
    expect(decide(request)).to.deep.include({ reason: 'not-canaried', patch: [] });
  });

  it('when no stable revision is recorded yet, then the update passes unchanged, davy.dev keys included', () => {
    const request = fixtureRequest('deployment-not-bootstrapped');
    workload(request.object).metadata.annotations!['davy.dev/pending-revision'] = 'abc';
    expect(decide(request)).to.deep.include({ verdict: 'allowed', reason: 'no-stable-revision', patch: [] });
  });

  it('when an object has no spec or labels that are not strings, then it passes for the apiserver to refuse', () => {
    const noSpec = fixtureRequest('deployment-set-image');
    delete (noSpec.object as Record<string, unknown>).spec;
    expect(decide(noSpec).reason).to.equal('malformed-object');
    const badLabels = fixtureRequest('deployment-set-image');
    (workload(badLabels.object).metadata as Record<string, unknown>).labels = { app: 3 };
    expect(decide(badLabels).reason).to.equal('malformed-object');
  });

  it('when the same update is sent as a server-side dry-run, then the decision is identical', () => {
    const dry = fixtureRequest('deployment-set-image-dry-run');
    expect(dry.dryRun).to.equal(true);
    expect(decide(dry)).to.deep.equal(decide(fixtureRequest('deployment-set-image')));
  });

  it('when a decision is made twice on the same request, then it is the same (no clock, no state)', () => {
    for (const name of WORKLOAD_FIXTURES) expect(decide(fixtureRequest(name)), name).to.deep.equal(decide(fixtureRequest(name)));
  });

  it('when the webhook is reinvoked on the object it patched, then every fixture gives an empty patch', () => {
    for (const name of WORKLOAD_FIXTURES) {
      const request = fixtureRequest(name);
      const first = decide(request);
      const second = decide({ ...request, object: applyJsonPatch(request.object, first.patch) });
      expect(second.patch, name).to.deep.equal([]);
    }
  });

  it('when any fixture is decided, then no operation touches the pod template or anything outside davy.dev metadata and the hold field', () => {
    const allowed = /^\/metadata\/(labels|annotations)(\/davy\.dev~1[^/]+)?$|^\/spec\/(paused|updateStrategy)$/;
    for (const name of WORKLOAD_FIXTURES) {
      for (const op of decide(fixtureRequest(name)).patch) expect(op.path, name).to.match(allowed);
    }
  });

  it('when the decision is wrapped as an outcome, then the response carries the same patch, base64 JSONPatch', () => {
    const request = fixtureRequest('deployment-set-image');
    const outcome = mutateOutcome(request, identity);
    expect(outcome).to.include({ verdict: 'patched', reason: 'new-revision' });
    expect(outcome.review.response).to.include({ uid: request.uid, allowed: true, patchType: 'JSONPatch' });
    expect(responsePatch(outcome.review)).to.deep.equal(decide(request).patch);
  });

  it('when identities are configured, then group: entries match groups and others match usernames only', () => {
    const id = stepperIdentity(['alice', 'group:ops']);
    expect(id).to.deep.equal({ usernames: ['alice'], groups: ['ops'] });
    expect(isStepper({ username: 'alice', groups: [] }, id)).to.equal(true);
    expect(isStepper({ username: 'bob', groups: ['ops'] }, id)).to.equal(true);
    expect(isStepper({ username: 'ops', groups: ['alice'] }, id)).to.equal(false);
    expect(isStepper({ username: '', groups: [] }, stepperIdentity(['']))).to.equal(false);
  });
});
