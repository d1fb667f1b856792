// Decoding untrusted bodies into AdmissionRequests, and the pure response builders.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  allowed,
  allowedWithPatch,
  DECODE_ERROR_CODES,
  decodeAdmissionReview,
  denied,
  errorBody,
  parseAdmissionReview,
  type DecodeResult,
} from '../../../src/admission/review.js';
import { fixtureReview, fixtureText } from '../../fixtures/admission/index.js';

const failure = (result: DecodeResult) => {
  if (result.ok) throw new Error('expected a decode failure');
  return result;
};

describe('review: decoding an AdmissionReview', () => {
  it('when the body is a fixture the apiserver would send, then every field Davy reads is decoded', () => {
    const result = parseAdmissionReview(Buffer.from(fixtureText('deployment-set-image')));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.request).to.deep.include({
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      name: 'podinfo',
      namespace: 'test',
      operation: 'UPDATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
      dryRun: false,
    });
    expect(result.request.object).to.have.nested.property('metadata.name', 'podinfo');
    expect(result.request.oldObject).to.have.property('spec');
  });

  it('when a DELETE carries object null, then object is absent and oldObject present', () => {
    const result = decodeAdmissionReview(fixtureReview('canary-delete'));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.request.object).to.equal(undefined);
    expect(result.request.oldObject).to.have.property('kind', 'Canary');
  });

  const envelopes: [string, string, string, RegExp][] = [
    ['not JSON', 'this is not json', 'NotJson', /not JSON/],
    ['truncated JSON', fixtureText('deployment-set-image').slice(0, 500), 'NotJson', /not JSON/],
    ['an empty body', '', 'NotJson', /not JSON/],
    ['a JSON array', '[1,2]', 'NotAnObject', /an array/],
    ['JSON null', 'null', 'NotAnObject', /null/],
    ['a v1beta1 review', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }), 'NotAnAdmissionReview', /v1beta1/],
    ['another kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'ConversionReview' }), 'NotAnAdmissionReview', /ConversionReview/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'NoRequest', /request: Required value/],
    ['a request without uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'UPDATE' } }), 'NoUid', /request\.uid/],
    ['an empty uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } }), 'NoUid', /request\.uid/],
  ];
  for (const [what, body, code, message] of envelopes) {
    it(`when the body is ${what}, then it fails with ${code} and no uid`, () => {
      const result = failure(parseAdmissionReview(body));
      expect(result.error.code).to.equal(code);
      expect(result.error.message).to.match(message);
      expect(result.uid).to.equal(undefined);
    });
  }

  it('when the envelope is sound but request fields are malformed, then every problem is reported with the uid', () => {
    const review = fixtureReview('deployment-set-image');
    Object.assign(review.request, { operation: 'PATCH', kind: { group: 'apps' }, userInfo: { username: 7, groups: 'x' }, object: 'str', dryRun: 'yes' });
    const result = failure(decodeAdmissionReview(review));
    expect(result.uid).to.equal(review.request.uid);
    expect(result.error.code).to.equal('InvalidRequest');
    for (const field of ['request.operation', 'request.kind.version', 'request.kind.kind', 'request.userInfo.username', 'request.userInfo.groups', 'request.object', 'request.dryRun']) {
      expect(result.error.message).to.include(field);
    }
  });

  it('when the kind is in the core group with group omitted, then it decodes', () => {
    const review = fixtureReview('deployment-set-image');
    review.request.kind = { version: 'v1', kind: 'ConfigMap' };
    const result = decodeAdmissionReview(review);
    expect(result.ok && result.request.kind).to.deep.equal({ group: '', version: 'v1', kind: 'ConfigMap' });
  });
});

describe('review: response builders', () => {
  it('when allowing, then the response echoes the uid in an admission.k8s.io/v1 AdmissionReview', () => {
    expect(allowed('u1')).to.deep.equal({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true } });
  });

  it('when allowing with a patch, then it is base64 JSON with patchType JSONPatch; an empty patch is a plain allow', () => {
    const patch = [{ op: 'add' as const, path: '/spec/paused', value: true }];
    const { response } = allowedWithPatch('u2', patch, ['held']);
    expect(response).to.include({ uid: 'u2', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8'))).to.deep.equal(patch);
    expect(response.warnings).to.deep.equal(['held']);
    expect(allowedWithPatch('u3', [])).to.deep.equal(allowed('u3'));
  });

  it('when denying, then status is a Failure with the code, reason and message, and warnings ride along', () => {
    const { response } = denied('u4', { code: 422, reason: 'Invalid', message: 'a: b' }, ['w']);
    expect(response).to.deep.equal({ uid: 'u4', allowed: false, status: { status: 'Failure', code: 422, reason: 'Invalid', message: 'a: b' }, warnings: ['w'] });
  });

  it('when a warning holds control characters or is blank, then it is cleaned or dropped', () => {
    expect(allowed('u5', ['two\nlines\t', '  ', '']).response.warnings).to.deep.equal(['two lines']);
  });

  it('when there is no uid to deny, then the error body carries the stable code and message', () => {
    expect(errorBody({ code: 'NoUid', message: 'm' })).to.deep.equal({ error: { code: 'NoUid', message: 'm' } });
  });

  it('when the error codes are listed, then deploy/webhook/README.md documents every one of them', () => {
    const readme = readFileSync(new URL('../../../deploy/webhook/README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(DECODE_ERROR_CODES)) expect(readme, code).to.include(`| \`${code}\` |`);
  });
});
