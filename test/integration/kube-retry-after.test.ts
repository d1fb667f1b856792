// The kube client honours Retry-After on 429 (issue 11): it waits what the server asks (capped),
// retries a few times, and then gives up with the 429; a 429 without Retry-After is not retried.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { TooManyRequestsError } from '../../src/kube/client.js';
import { NodeKubeClient, retryAfterMs } from '../../src/kube/node-client.js';
import { generateCerts, kubeConfigFor, removeDir, type CertDir } from './support.js';

describe('kube client: 429 and Retry-After', () => {
  let certs: CertDir;
  let server: Server;
  let answers: { status: number; retryAfter?: string }[] = [];
  let requests = 0;
  const waits: number[] = [];

  before(async () => {
    certs = await generateCerts();
    server = createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      requests += 1;
      req.resume();
      const answer = answers.shift() ?? { status: 200 };
      // 0: the connection closed with no answer, as a kept-alive socket the server closes.
      if (answer.status === 0) return void req.socket.destroy();
      const body = answer.status === 200
        ? JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } })
        : JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', message: 'too many requests', code: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}) }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await removeDir(certs.dir);
  });
  beforeEach(() => {
    requests = 0;
    waits.length = 0;
  });

  const client = (): NodeKubeClient => {
    const config = kubeConfigFor((server.address() as AddressInfo).port, certs.ca);
    return new NodeKubeClient(config, { sleep: (ms) => (waits.push(ms), Promise.resolve()) });
  };
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'c' };

  it('when the server answers 429 with Retry-After twice, then the client waits as asked (capped at 10 s) and the third attempt succeeds', async () => {
    answers = [{ status: 429, retryAfter: '2' }, { status: 429, retryAfter: '600' }];
    const kube = client();
    expect((await kube.get(ref))?.metadata.name).to.equal('c');
    expect([requests, ...waits]).to.deep.equal([3, 2000, 10_000]);
    kube.close();
  });

  it('when a read\'s connection is closed before any answer, then it is sent once more; a write is not', async () => {
    answers = [{ status: 0 }];
    const kube = client();
    expect((await kube.get(ref))?.metadata.name).to.equal('c');
    expect(requests).to.equal(2);
    requests = 0;
    answers = [{ status: 0 }];
    let caught: unknown;
    await kube.replace({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }).catch((e: unknown) => (caught = e));
    expect(String(caught)).to.match(/socket hang up|ECONNRESET/);
    expect(requests).to.equal(1);
    kube.close();
  });

  it('when every answer is 429 with Retry-After, then after 3 retries the 429 surfaces', async () => {
    answers = Array.from({ length: 5 }, () => ({ status: 429, retryAfter: '1' }));
    const kube = client();
    let caught: unknown;
    await kube.replace({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(TooManyRequestsError);
    expect(requests).to.equal(4);
    answers = [];
    kube.close();
  });

  it('when a 429 carries no Retry-After, then it surfaces at once', async () => {
    answers = [{ status: 429 }];
    const kube = client();
    let caught: unknown;
    await kube.get(ref).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(TooManyRequestsError);
    expect([requests, waits.length]).to.deep.equal([1, 0]);
    kube.close();
  });

  it('when Retry-After is an HTTP date or nonsense, then it is read as such', () => {
    const now = Date.parse('2026-12-06T05:00:00Z');
    expect(retryAfterMs('Sun, 06 Dec 2026 05:00:03 GMT', now)).to.equal(3000);
    expect(retryAfterMs('soon', now)).to.equal(undefined);
    expect(retryAfterMs(undefined, now)).to.equal(undefined);
  });
});
