// The mutate decision on AdmissionReviews recorded from a real apiserver (v1.34) while real kubectl
// commands ran against a labelled Deployment and DaemonSet (test/fixtures/admission/recorded/).
// Each verdict is the one the cluster showed at the time: what the webhook answered is what the
// stored object then carried.
import { expect } from 'chai';
import { decideMutation, mutateOutcome, stepperIdentity } from '../../../src/admission/mutate.js';
import type { JsonPatchOperation } from '../../../src/admission/review.js';
import { templateRevision } from '../../../src/api/revision.js';
import { applyJsonPatch, RECORDED_MUTATE, recordedRequest, recordedText, workload } from '../../fixtures/admission/index.js';

const STEPPER = stepperIdentity(['system:serviceaccount:davy-system:davy-stepper']);

interface Expected {
  verdict: 'allowed' | 'patched';
  reason: string;
  rule?: number;
  patch: JsonPatchOperation[];
  /** Every warning, by pattern, in order. */
  warnings?: RegExp[];
}

const held = (revision: string, value = 'true'): JsonPatchOperation[] => [
  { op: 'add', path: '/metadata/annotations/davy.dev~1held', value },
  { op: 'add', path: '/metadata/annotations/davy.dev~1pending-revision', value: revision },
];
const pending = (revision: string): JsonPatchOperation => ({ op: 'add', path: '/metadata/annotations/davy.dev~1pending-revision', value: revision });
const pause: JsonPatchOperation = { op: 'add', path: '/spec/paused', value: true };
const released: JsonPatchOperation[] = [
  { op: 'remove', path: '/metadata/annotations/davy.dev~1held' },
  { op: 'remove', path: '/metadata/annotations/davy.dev~1pending-revision' },
];
const holds = /^Davy holds the rollout of (deployment\/podinfo|daemonset\/node-agent): revision [0-9a-f]{16} waits for analysis \(Canary (podinfo|node-agent)\); its pods keep running [0-9a-f]{16}$/;
const releases = /^the template of (deployment\/podinfo|daemonset\/node-agent) is the stable revision [0-9a-f]{16} again: Davy released its hold, no pod restarts$/;
const DAEMONSET_STRATEGY = { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' };

/** What each recorded request got from the webhook in the cluster (its log and the stored object). */
const EXPECTED: Record<(typeof RECORDED_MUTATE)[number], Expected> = {
  'deployment-stepper-bootstrap': { verdict: 'allowed', reason: 'stepper-identity', rule: 1, patch: [] },
  'deployment-set-image': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [...held('9af4b7f02d292016'), pause], warnings: [holds] },
  'deployment-apply-new-image-while-held': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [pending('1c2f8c460d3a5a5c')], warnings: [holds] },
  // kubectl scale goes through the scale subresource, which the webhook's rules do not match: no review.
  // A replicas change on the Deployment itself keeps the hold and needs no patch.
  'deployment-patch-replicas-while-held': { verdict: 'allowed', reason: 'hold-kept', rule: 5, patch: [] },
  'deployment-rollout-resume-while-held': { verdict: 'patched', reason: 'hold-kept', rule: 5, patch: [pause], warnings: [/^Davy holds the rollout of deployment\/podinfo while revision 1c2f8c460d3a5a5c waits for analysis \(Canary podinfo\); spec\.paused is kept/] },
  'deployment-user-edits-stable-revision': {
    verdict: 'patched',
    reason: 'hold-kept',
    rule: 5,
    patch: [{ op: 'add', path: '/metadata/annotations/davy.dev~1stable-revision', value: '97514a811171fd2e' }],
    warnings: [/^davy\.dev\/\* metadata is managed by Davy; kept as it was: annotation davy\.dev\/stable-revision$/],
  },
  'deployment-apply-dry-run-while-held': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [pending('7747a496d86a758d')], warnings: [holds] },
  'deployment-revert-to-stable': { verdict: 'patched', reason: 'reverted-to-stable', rule: 3, patch: [...released, { op: 'remove', path: '/spec/paused' }], warnings: [releases] },
  'deployment-server-side-apply-new-image': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [...held('5cccd3b9cff1a096'), pause], warnings: [holds] },
  // kubectl apply --server-side over a client-side-applied object migrates field ownership in extra UPDATEs.
  'deployment-server-side-apply-migration-while-held': { verdict: 'allowed', reason: 'hold-kept', rule: 5, patch: [] },
  'deployment-server-side-apply-unchanged': { verdict: 'allowed', reason: 'hold-kept', rule: 5, patch: [] },
  'deployment-stepper-release': { verdict: 'allowed', reason: 'stepper-identity', rule: 1, patch: [] },
  'deployment-rollout-restart': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [...held('9e76627c2f7d7759'), pause], warnings: [holds] },
  // kubectl replace sends a manifest without Davy's annotations or spec.paused: both are put back.
  'deployment-replace-while-held': {
    verdict: 'patched',
    reason: 'new-revision',
    rule: 4,
    patch: [{ op: 'add', path: '/metadata/annotations', value: { 'davy.dev/held': 'true', 'davy.dev/pending-revision': '1c2f8c460d3a5a5c', 'davy.dev/stable-revision': '5cccd3b9cff1a096' } }, pause],
    warnings: [/^davy\.dev\/\* metadata is managed by Davy; kept as it was: annotation davy\.dev\/held, annotation davy\.dev\/pending-revision, annotation davy\.dev\/stable-revision$/, holds],
  },
  'deployment-quick-update-1': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [pending('f074f3f4cddfce3e')], warnings: [holds] },
  'deployment-quick-update-2': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: [pending('372d4271edba4dbc')], warnings: [holds] },
  'deployment-user-pause': { verdict: 'allowed', reason: 'at-stable-revision', rule: 3, patch: [] },
  'deployment-set-image-over-user-pause': { verdict: 'patched', reason: 'new-revision', rule: 4, patch: held('addcfb7f626b2339', 'user-paused'), warnings: [holds] },
  // Released over the user's own pause: spec.paused stays true, as the user left it.
  'deployment-revert-over-user-pause': { verdict: 'patched', reason: 'reverted-to-stable', rule: 3, patch: released, warnings: [releases] },
  'daemonset-stepper-bootstrap': { verdict: 'allowed', reason: 'stepper-identity', rule: 1, patch: [] },
  'daemonset-set-image': {
    verdict: 'patched',
    reason: 'new-revision',
    rule: 4,
    patch: [
      ...held('8af4148ad990a567'),
      { op: 'add', path: '/metadata/annotations/davy.dev~1saved-update-strategy', value: JSON.stringify(DAEMONSET_STRATEGY) },
      { op: 'add', path: '/spec/updateStrategy', value: { type: 'OnDelete' } },
    ],
    warnings: [holds],
  },
  'daemonset-revert-to-stable': {
    verdict: 'patched',
    reason: 'reverted-to-stable',
    rule: 3,
    patch: [...released, { op: 'remove', path: '/metadata/annotations/davy.dev~1saved-update-strategy' }, { op: 'add', path: '/spec/updateStrategy', value: DAEMONSET_STRATEGY }],
    warnings: [releases],
  },
};

describe('mutate decision on reviews recorded from a real apiserver', () => {
  for (const name of RECORDED_MUTATE) {
    const expected = EXPECTED[name];
    it(`when the apiserver sent ${name}, then the verdict is ${expected.reason}${expected.patch.length ? ' with its patch' : ' with no patch'}`, () => {
      const decision = decideMutation(recordedRequest(name), STEPPER);
      expect({ verdict: decision.verdict, reason: decision.reason, rule: decision.rule }).to.deep.equal({ verdict: expected.verdict, reason: expected.reason, rule: expected.rule });
      expect(decision.patch).to.deep.equal(expected.patch);
      const patterns = expected.warnings ?? [];
      expect(decision.warnings, decision.warnings.join('\n')).to.have.length(patterns.length);
      decision.warnings.forEach((warning, i) => expect(warning).to.match(patterns[i]!));
    });
  }

  it('when any recorded request is patched and the apiserver calls again (reinvocation), then the patch is empty', () => {
    for (const name of RECORDED_MUTATE) {
      const request = recordedRequest(name);
      const first = decideMutation(request, STEPPER);
      request.object = applyJsonPatch(request.object!, first.patch);
      expect(decideMutation(request, STEPPER).patch, name).to.deep.equal([]);
    }
  });

  it('when any recorded request is patched, then the pod template is untouched and a pending revision is the stored template\'s', () => {
    for (const name of RECORDED_MUTATE) {
      const request = recordedRequest(name);
      const decision = decideMutation(request, STEPPER);
      expect(decision.patch.filter((op) => op.path.startsWith('/spec/template')), name).to.deep.equal([]);
      const after = workload(applyJsonPatch(request.object!, decision.patch));
      const pendingRevision = after.metadata.annotations?.['davy.dev/pending-revision'];
      if (decision.reason === 'new-revision') expect(pendingRevision, name).to.equal(templateRevision(after.spec.template));
    }
  });

  it('when the recorded set-image over a running Deployment is applied, then it is paused by Davy; its revert unpauses it', () => {
    const setImage = recordedRequest('deployment-set-image');
    const afterSet = workload(applyJsonPatch(setImage.object!, decideMutation(setImage, STEPPER).patch));
    expect([afterSet.spec.paused, afterSet.metadata.annotations?.['davy.dev/held']]).to.deep.equal([true, 'true']);
    const revert = recordedRequest('deployment-revert-to-stable');
    const afterRevert = workload(applyJsonPatch(revert.object!, decideMutation(revert, STEPPER).patch));
    expect(afterRevert.spec.paused).to.equal(undefined);
    expect(Object.keys(afterRevert.metadata.annotations ?? {}).filter((k) => k.startsWith('davy.dev/'))).to.deep.equal(['davy.dev/stable-revision']);
  });

  it('when the recorded dry-run is answered, then it is the answer the same request without dryRun gets', () => {
    const request = recordedRequest('deployment-apply-dry-run-while-held');
    expect(request.dryRun).to.equal(true);
    const wet = { ...request, dryRun: false };
    expect(decideMutation(request, STEPPER)).to.deep.equal(decideMutation(wet, STEPPER));
  });

  it('when a recorded review is answered as a whole, then the response echoes its uid, allows, and carries the patch base64-encoded', () => {
    const request = recordedRequest('deployment-set-image');
    const { review } = mutateOutcome(request, STEPPER);
    expect(review.response).to.include({ uid: JSON.parse(recordedText('deployment-set-image')).request.uid, allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(review.response.patch!, 'base64').toString('utf8'))).to.deep.equal(EXPECTED['deployment-set-image'].patch);
  });

  it('when the recorded requests are read, then they are what the apiserver sends (apps/v1, UPDATE, managedFields kept, one user each)', () => {
    for (const name of RECORDED_MUTATE) {
      const request = recordedRequest(name);
      expect(request.kind.group, name).to.equal('apps');
      expect(request.operation, name).to.equal('UPDATE');
      expect(workload(request.object).metadata.managedFields, name).to.be.an('array').that.is.not.empty;
      expect(request.userInfo.username, name).to.be.oneOf(['davy-admin', 'system:serviceaccount:davy-system:davy-stepper']);
    }
  });
});
