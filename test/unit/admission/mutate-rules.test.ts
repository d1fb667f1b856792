// DESIGN.md's five rules of revision interception, one table row per situation, on the
// AdmissionReview fixtures (and variants of them built per test).
import { expect } from 'chai';
import { decideMutation, stepperIdentity, type MutateDecision } from '../../../src/admission/mutate.js';
import type { AdmissionRequest } from '../../../src/admission/review.js';
import { templateRevision } from '../../../src/api/revision.js';
import { applyJsonPatch, fixtureRequest, workload, type Workload } from '../../fixtures/admission/index.js';

const STEPPER = 'system:serviceaccount:davy-system:davy-stepper';
const identity = stepperIdentity([STEPPER, 'group:davy-steppers']);

const decide = (request: AdmissionRequest): MutateDecision => decideMutation(request, identity);
const after = (request: AdmissionRequest, decision: MutateDecision): Workload => workload(applyJsonPatch(request.object, decision.patch));
const annotations = (object: unknown): Record<string, string> => workload(object).metadata.annotations ?? {};
const obj = (request: AdmissionRequest): Workload => workload(request.object);
const old = (request: AdmissionRequest): Workload => workload(request.oldObject);

function expectTemplateUntouched(request: AdmissionRequest, decision: MutateDecision): void {
  expect(decision.patch.filter((op) => op.path.startsWith('/spec/template'))).to.deep.equal([]);
  expect(after(request, decision).spec.template).to.deep.equal(obj(request).spec.template);
}

function expectIdempotent(request: AdmissionRequest, decision: MutateDecision): void {
  const again = decide({ ...request, object: after(request, decision) });
  expect(again.patch, 'reinvocation on the patched object').to.deep.equal([]);
  expect(again.reason).to.equal(decision.reason);
}

describe('mutate: the five rules', () => {
  describe('rule 1: the stepper passes as sent', () => {
    it('when the stepper service account releases the hold, then the update is allowed unchanged', () => {
      const decision = decide(fixtureRequest('deployment-stepper-release'));
      expect(decision).to.include({ verdict: 'allowed', reason: 'stepper-identity', rule: 1 });
      expect(decision.patch).to.deep.equal([]);
    });

    it('when a member of a configured stepper group edits davy.dev metadata, then it passes as sent', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      request.userInfo = { username: 'ci-bot', groups: ['davy-steppers'] };
      expect(decide(request)).to.include({ reason: 'stepper-identity', verdict: 'allowed' });
    });

    it('when a user is merely named like a configured group, then the rules still apply', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      request.userInfo = { username: 'davy-steppers', groups: [] };
      expect(decide(request).reason).to.not.equal('stepper-identity');
    });
  });

  describe('rule 2: davy.dev metadata is restored for anyone else', () => {
    it('when a user edits davy.dev/stable-revision, then it is put back and the user warned', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      const decision = decide(request);
      expect(decision.verdict).to.equal('patched');
      expect(decision.patch).to.deep.equal([{ op: 'add', path: '/metadata/annotations/davy.dev~1stable-revision', value: annotations(request.oldObject)['davy.dev/stable-revision'] }]);
      expect(decision.restored).to.deep.equal(['annotation davy.dev/stable-revision']);
      expect(decision.warnings.join('\n')).to.include('davy.dev/stable-revision');
      expectIdempotent(request, decision);
    });

    it('when a user removes the davy.dev/canary label and adds a davy.dev annotation, then the label returns and the annotation goes', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      const object = obj(request);
      object.metadata.annotations!['davy.dev/stable-revision'] = annotations(request.oldObject)['davy.dev/stable-revision']!;
      delete object.metadata.labels!['davy.dev/canary'];
      object.metadata.annotations!['davy.dev/pending-revision'] = 'ffffffffffffffff';
      object.metadata.labels!.team = 'web';
      const decision = decide(request);
      const result = after(request, decision);
      expect(result.metadata.labels).to.deep.equal({ app: 'podinfo', team: 'web', 'davy.dev/canary': 'podinfo' });
      expect(annotations(result)).to.not.have.property('davy.dev/pending-revision');
      expect(decision.restored).to.deep.equal(['label davy.dev/canary', 'annotation davy.dev/pending-revision']);
      expectIdempotent(request, decision);
    });

    it('when a request drops every annotation, then only the davy.dev ones come back', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      delete obj(request).metadata.annotations;
      const result = after(request, decide(request));
      expect(Object.keys(annotations(result))).to.deep.equal(['davy.dev/stable-revision']);
    });
  });

  describe('rule 3: the stable template releases the hold', () => {
    it('when a held Deployment is reverted to the stable image, then the pause, held and pending-revision go', () => {
      const request = fixtureRequest('deployment-revert-while-held');
      const decision = decide(request);
      expect(decision).to.include({ verdict: 'patched', reason: 'reverted-to-stable', rule: 3 });
      const result = after(request, decision);
      expect(result.spec).to.not.have.property('paused');
      expect(Object.keys(annotations(result)).filter((k) => k.startsWith('davy.dev/'))).to.deep.equal(['davy.dev/stable-revision']);
      expect(decision.warnings.join('\n')).to.include('released its hold');
      expectTemplateUntouched(request, decision);
      expectIdempotent(request, decision);
    });

    it('when the hold was placed over the user\'s own pause, then release leaves spec.paused true', () => {
      const request = fixtureRequest('deployment-revert-while-held');
      old(request).metadata.annotations!['davy.dev/held'] = 'user-paused';
      const result = after(request, decide(request));
      expect(result.spec.paused).to.equal(true);
      expect(annotations(result)).to.not.have.property('davy.dev/held');
    });

    it('when a held DaemonSet is reverted, then its saved update strategy is put back', () => {
      const request = fixtureRequest('daemonset-revert-while-held');
      const decision = decide(request);
      const result = after(request, decision);
      expect(result.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      expect(annotations(result)).to.not.have.property('davy.dev/saved-update-strategy');
      expectIdempotent(request, decision);
    });

    it('when the saved DaemonSet strategy is unreadable, then the hold is released to the default and the user warned', () => {
      const request = fixtureRequest('daemonset-revert-while-held');
      old(request).metadata.annotations!['davy.dev/saved-update-strategy'] = 'not json';
      const decision = decide(request);
      expect(after(request, decision).spec).to.not.have.property('updateStrategy');
      expect(decision.warnings.join('\n')).to.include('unreadable');
    });

    it('when the user pauses a Deployment that runs the stable revision, then the pause is theirs and passes', () => {
      const request = fixtureRequest('deployment-edit-stable-revision');
      const object = obj(request);
      object.metadata.annotations = structuredClone(old(request).metadata.annotations);
      object.spec.paused = true;
      const decision = decide(request);
      expect(decision).to.include({ verdict: 'allowed', reason: 'at-stable-revision' });
      expect(decision.patch).to.deep.equal([]);
    });
  });

  describe('rule 4: a new template is held', () => {
    it('when a user sets a new image, then the Deployment is paused by Davy with the pending revision recorded', () => {
      const request = fixtureRequest('deployment-set-image');
      const decision = decide(request);
      const revision = templateRevision(obj(request).spec.template);
      expect(decision).to.include({ verdict: 'patched', reason: 'new-revision', rule: 4, revision });
      const result = after(request, decision);
      expect(result.spec.paused).to.equal(true);
      expect(annotations(result)).to.include({ 'davy.dev/held': 'true', 'davy.dev/pending-revision': revision });
      expect(decision.warnings.join('\n')).to.include(`revision ${revision} waits for analysis`);
      expectTemplateUntouched(request, decision);
      expectIdempotent(request, decision);
    });

    it('when the Deployment was already paused by its user, then the hold records user-paused', () => {
      const request = fixtureRequest('deployment-user-paused-new-image');
      const decision = decide(request);
      expect(annotations(after(request, decision))['davy.dev/held']).to.equal('user-paused');
      expect(decision.patch.some((op) => op.path === '/spec/paused')).to.equal(false);
      expectIdempotent(request, decision);
    });

    it('when a second new image arrives while held, then the latest revision is pending and the hold record is kept', () => {
      const request = fixtureRequest('deployment-revert-while-held');
      obj(request).spec.template.spec.containers[0]!.image = 'ghcr.io/stefanprodan/podinfo:6.0.2';
      old(request).metadata.annotations!['davy.dev/held'] = 'user-paused';
      const decision = decide(request);
      const result = after(request, decision);
      expect(annotations(result)['davy.dev/pending-revision']).to.equal(templateRevision(result.spec.template));
      expect(annotations(result)['davy.dev/held']).to.equal('user-paused');
      expectIdempotent(request, decision);
    });

    it('when a DaemonSet gets a new image, then it is held with OnDelete and its strategy saved as JSON', () => {
      const request = fixtureRequest('daemonset-set-image');
      const decision = decide(request);
      const result = after(request, decision);
      expect(result.spec.updateStrategy).to.deep.equal({ type: 'OnDelete' });
      expect(JSON.parse(annotations(result)['davy.dev/saved-update-strategy']!)).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      expect(annotations(result)['davy.dev/held']).to.equal('true');
      expectTemplateUntouched(request, decision);
      expectIdempotent(request, decision);
    });
  });

  describe('rule 5: an unchanged template keeps the hold', () => {
    it('when a held Deployment is scaled, then replicas pass through and nothing is patched', () => {
      const request = fixtureRequest('deployment-scale-while-held');
      const decision = decide(request);
      expect(decision).to.include({ verdict: 'allowed', reason: 'hold-kept', rule: 5 });
      expect(decision.patch).to.deep.equal([]);
      expect(decision.warnings).to.deep.equal([]);
    });

    it('when kubectl rollout resume drops spec.paused while held, then Davy puts it back and says why', () => {
      const request = fixtureRequest('deployment-rollout-resume-while-held');
      const decision = decide(request);
      expect(decision.patch).to.deep.equal([{ op: 'add', path: '/spec/paused', value: true }]);
      expect(decision.warnings.join('\n')).to.include('davy promote');
      expectIdempotent(request, decision);
    });

    it('when a held DaemonSet\'s strategy is changed, then OnDelete stays', () => {
      const request = fixtureRequest('daemonset-revert-while-held');
      const object = obj(request);
      object.spec.template = structuredClone(old(request).spec.template);
      object.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } };
      const decision = decide(request);
      expect(decision.reason).to.equal('hold-kept');
      expect(after(request, decision).spec.updateStrategy).to.deep.equal({ type: 'OnDelete' });
    });

    it('when the stepper has released the hold for promotion and a user scales, then no hold comes back', () => {
      const request = fixtureRequest('deployment-scale-while-held');
      for (const object of [obj(request), old(request)]) {
        delete object.spec.paused;
        delete object.metadata.annotations!['davy.dev/held'];
      }
      const decision = decide(request);
      expect(decision).to.include({ verdict: 'allowed', reason: 'template-unchanged' });
    });
  });
});
