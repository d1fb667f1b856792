// The SigV4 signer against AWS's published examples (the signature test suite's get-vanilla case
// and the IAM ListUsers walk-through of the SigV4 documentation): a signer that disagrees with AWS
// fails here, not only against the contract server, which uses the same signer to verify.
import { expect } from 'chai';
import { signRequest } from '../../../src/metrics/providers/sigv4.js';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2015-08-30T12:36:00Z');

describe('sigv4', () => {
  it('when signing the suite\'s get-vanilla request, then the signature is the published one', () => {
    const headers = signRequest({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '', region: 'us-east-1', service: 'service', now: NOW, credentials: EXAMPLE });
    expect(headers.authorization).to.equal(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).to.equal('20150830T123600Z');
  });

  it('when signing the documentation\'s IAM ListUsers request, then the signature is the published one', () => {
    const headers = signRequest({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      region: 'us-east-1',
      service: 'iam',
      now: NOW,
      credentials: EXAMPLE,
    });
    expect(headers.authorization).to.equal(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('when the credentials carry a session token, then it is sent and signed', () => {
    const headers = signRequest({ method: 'POST', url: new URL('https://monitoring.eu-west-1.amazonaws.com/'), headers: {}, body: '{}', region: 'eu-west-1', service: 'monitoring', now: NOW, credentials: { ...EXAMPLE, sessionToken: 'tok' } });
    expect(headers['x-amz-security-token']).to.equal('tok');
    expect(headers.authorization).to.match(/SignedHeaders=host;x-amz-date;x-amz-security-token,/);
  });
});
