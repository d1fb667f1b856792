// Certificate hot reload and graceful shutdown, on a real server with generated certificates.
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { expect } from 'chai';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { fixtureText } from '../fixtures/admission/index.js';
import { deferred, eventually, generateCerts, getMetrics, handshake, removeDir, send, startTestWebhook, type CertDir } from './support.js';

const fingerprintOf = async (file: string): Promise<string> => new X509Certificate(await readFile(file)).fingerprint256;
const reloads = async (port: number, result: 'success' | 'failure'): Promise<number> => {
  const match = new RegExp(`davy_webhook_certificate_reloads_total\\{result="${result}"\\} (\\d+)`).exec((await getMetrics(port)).text);
  return match ? Number(match[1]) : 0;
};

describe('webhook lifecycle', function () {
  this.timeout(30_000);
  let certs: CertDir;
  beforeEach(async () => (certs = await generateCerts()));
  afterEach(async () => removeDir(certs.dir));

  it('when the certificate files are replaced, then new connections get the new certificate', async () => {
    const webhook = await startTestWebhook(certs);
    try {
      const before = await handshake(webhook.port, certs.ca);
      await generateCerts(certs.dir, '--force');
      const renewed = await fingerprintOf(certs.cert);
      expect(renewed).to.not.equal(before.fingerprint);
      const ca = await readFile(join(certs.dir, 'ca.crt'));
      await eventually('the new certificate to be served', async () => ((await handshake(webhook.port, ca)).fingerprint === renewed ? true : undefined));
      expect(webhook.fingerprint()).to.equal(renewed);
      expect((await send(webhook.port, ca, '/healthz', undefined, { method: 'GET' })).status).to.equal(200);
    } finally {
      await webhook.shutdown('test over');
    }
  });

  it('when the new files are unreadable or the key does not match, then the previous pair keeps serving and the failure is counted', async () => {
    const webhook = await startTestWebhook(certs);
    try {
      const served = webhook.fingerprint();
      await writeFile(`${certs.cert}.tmp`, 'not a certificate');
      await rename(`${certs.cert}.tmp`, certs.cert);
      await eventually('a failed reload', async () => ((await reloads(webhook.metricsPort, 'failure')) >= 1 ? true : undefined));
      expect((await handshake(webhook.port, certs.ca)).fingerprint).to.equal(served);

      const other = await generateCerts();
      try {
        const failures = await reloads(webhook.metricsPort, 'failure');
        await copyFile(other.cert, certs.cert); // a valid certificate whose key is not tls.key
        await eventually('a second failed reload', async () => ((await reloads(webhook.metricsPort, 'failure')) > failures ? true : undefined));
        expect((await handshake(webhook.port, certs.ca)).fingerprint).to.equal(served);
        expect(await reloads(webhook.metricsPort, 'success')).to.equal(0);
      } finally {
        await removeDir(other.dir);
      }
    } finally {
      await webhook.shutdown('test over');
    }
  });

  it('when shutdown starts with a review in flight, then readiness drops, new connections are refused, and the review still completes', async () => {
    const gate = deferred();
    const entered = deferred();
    const webhook = await startTestWebhook(certs, {
      validate: async () => {
        entered.resolve();
        await gate.promise;
        return { errors: [], warnings: [] };
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const inFlight = send(webhook.port, certs.ca, '/validate', fixtureText('canary-create'), { agent });
      await entered.promise;
      const stopped = webhook.shutdown('test');
      expect(webhook.ready()).to.equal(false);
      let refused = false;
      await handshake(webhook.port, certs.ca).catch(() => (refused = true));
      expect(refused, 'a new connection after shutdown began').to.equal(true);

      gate.resolve();
      const reply = await inFlight;
      expect(reply.status).to.equal(200);
      expect((reply.json as AdmissionReviewResponse).response.allowed).to.equal(true);
      expect(await stopped, 'connections had to be cut').to.equal(false);
    } finally {
      agent.destroy();
      gate.resolve();
      await webhook.shutdown('test over');
    }
  });

  it('when shutdown starts with a delay, then a kept-alive connection is still answered and closed by its client, a late new one is served, and shutdown ends once none is open', async () => {
    // A delay and a drain far longer than the test's timeout: shutdown ends early or the test fails.
    const webhook = await startTestWebhook(certs, {}, { shutdownDelayMs: 600_000, drainTimeoutMs: 600_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const review = fixtureText('canary-create');
      const before = await send(webhook.port, certs.ca, '/validate', review, { agent });
      expect(before.headers.connection).to.equal('keep-alive');
      const stopped = webhook.shutdown('test');
      expect(webhook.ready()).to.equal(false);
      // A client the Service still sends here (its endpoint not yet removed everywhere) is served
      // too; the first connection, still open and idle, keeps the delay going meanwhile.
      const late = await send(webhook.port, certs.ca, '/validate', review, { agent: new Agent({ keepAlive: true }) });
      expect([late.status, late.headers.connection]).to.deep.equal([200, 'close']);
      // The first connection was idle when shutdown began: a server closing it would race this review.
      const kept = await send(webhook.port, certs.ca, '/validate', review, { agent });
      expect(kept.status).to.equal(200);
      expect((kept.json as AdmissionReviewResponse).response.allowed).to.equal(true);
      expect(kept.headers.connection, 'the answer closes the connection').to.equal('close');
      expect(await stopped, 'connections had to be cut').to.equal(false);
      let refused = false;
      await handshake(webhook.port, certs.ca).catch(() => (refused = true));
      expect(refused, 'a new connection after shutdown ended').to.equal(true);
    } finally {
      agent.destroy();
      await webhook.shutdown('test over');
    }
  });

  it('when the mutate handler throws synchronously, then the answer is a JSON deny for that uid', async () => {
    const webhook = await startTestWebhook(certs, {
      mutate: () => {
        throw new TypeError('boom');
      },
    });
    try {
      const reply = await send(webhook.port, certs.ca, '/mutate', fixtureText('deployment-set-image'));
      expect(reply.status).to.equal(200);
      const { response } = reply.json as AdmissionReviewResponse;
      expect(response).to.include({ allowed: false, uid: JSON.parse(fixtureText('deployment-set-image')).request.uid });
      expect(response.status!.message).to.include('boom');
    } finally {
      await webhook.shutdown('test over');
    }
  });
});
