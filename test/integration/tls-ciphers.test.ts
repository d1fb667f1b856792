// The webhook offers only AEAD suites: a TLS 1.2 client that can speak only CBC/SHA-1 suites is
// refused at the handshake, one with AES-GCM is served, and TLS 1.3 still works (issue 11).
import { expect } from 'chai';
import { handshake, withTestWebhook } from './support.js';

describe('webhook TLS suites', () => {
  const served = withTestWebhook();

  it('when a TLS 1.2 client offers only CBC suites with SHA-1 or SHA-256 MACs, then the handshake fails', async () => {
    for (const ciphers of ['ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:AES128-SHA', 'ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:AES128-SHA256']) {
      let failure: unknown;
      await handshake(served().webhook.port, served().certs.ca, { maxVersion: 'TLSv1.2', ciphers }).catch((error: unknown) => (failure = error));
      expect(failure, ciphers).to.be.instanceOf(Error);
    }
  });

  it('when a TLS 1.2 client offers AES-GCM, or a client speaks TLS 1.3, then it is served', async () => {
    const { webhook, certs } = served();
    const gcm = await handshake(webhook.port, certs.ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect(gcm.protocol).to.equal('TLSv1.2');
    expect((await handshake(webhook.port, certs.ca)).protocol).to.equal('TLSv1.3');
  });
});
