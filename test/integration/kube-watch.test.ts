// The kube client's watch (src/kube/watch.ts) against a TLS server that answers as the API server's
// watch does (one JSON watch.Event per line, chunked at any byte): events split across chunks, the
// query it sends, a silent stream ending quietly, a refusal with the server's Status, a connection
// cut before any answer, a broken line.
// The same adapter against the real API server: test/e2e/kube-client.test.ts.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { ApiError, type WatchEvent } from '../../src/kube/client.js';
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { generateCerts, kubeConfigFor, removeDir, type CertDir } from './support.js';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

const line = (type: string, name: string, resourceVersion: string): string =>
  `${JSON.stringify({ type, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'n', resourceVersion } } })}\n`;

describe('kube client: watches', () => {
  let certs: CertDir;
  let server: Server;
  let answer: Answer = (_req, res) => res.writeHead(500).end();
  const urls: string[] = [];

  before(async () => {
    certs = await generateCerts();
    server = createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      urls.push(req.url ?? '');
      answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await removeDir(certs.dir);
  });
  beforeEach(() => (urls.length = 0));

  const client = (watchIdleMs = 30_000): NodeKubeClient =>
    new NodeKubeClient(kubeConfigFor((server.address() as AddressInfo).port, certs.ca), { watchIdleMs });

  const watch = (kube: NodeKubeClient, events: WatchEvent[], signal = new AbortController().signal) =>
    kube.watch('v1', 'ConfigMap', 'n', { resourceVersion: '7', labelSelector: 'davy.dev/canary' }, (e) => events.push(e), signal);

  it('when events arrive split at any byte, then each comes whole and in order, and the server\'s end ends the stream', async () => {
    const body = line('ADDED', 'a', '8') + line('MODIFIED', 'a', '9') + line('BOOKMARK', '', '10') + line('DELETED', 'a', '11');
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Three-byte chunks, a few milliseconds apart: every line is cut somewhere.
      let at = 0;
      const next = (): void => {
        if (at >= body.length) return void res.end();
        res.write(body.slice(at, at + 3));
        at += 3;
        setImmediate(next);
      };
      next();
    };
    const events: WatchEvent[] = [];
    const { ended } = await watch(client(), events);
    await ended;
    expect(events.map((e) => `${e.type} ${e.object.metadata.resourceVersion ?? ''}`)).to.deep.equal(['ADDED 8', 'MODIFIED 9', 'BOOKMARK 10', 'DELETED 11']);
    const query = new URL(urls[0]!, 'https://x').searchParams;
    expect(Object.fromEntries(query)).to.deep.equal({ watch: 'true', allowWatchBookmarks: 'true', resourceVersion: '7', labelSelector: 'davy.dev/canary' });
    expect(urls[0]).to.match(/^\/api\/v1\/namespaces\/n\/configmaps\?/);
  });

  it('when the stream stays silent, then it ends quietly after the idle time, so that the caller resumes it', async () => {
    answer = (_req, res) => void res.writeHead(200).write(line('ADDED', 'a', '8'));
    const events: WatchEvent[] = [];
    const { ended } = await watch(client(300), events);
    const began = Date.now();
    await ended;
    expect(Date.now() - began).to.be.at.least(250);
    expect(events).to.have.length(1);
  });

  it('when the answer\'s headers are held until a first event that never comes (a proxy), then the watch ends quietly after the idle time, to be resumed', async () => {
    answer = (_req, res) => void res.writeHead(200); // Node sends headers with the first byte of the body
    const { ended } = await watch(client(300), []);
    await ended;
  });

  it('when the caller aborts, then the stream ends quietly', async () => {
    answer = (_req, res) => void res.writeHead(200).write(line('ADDED', 'a', '8'));
    const stop = new AbortController();
    const { ended } = await watch(client(), [], stop.signal);
    stop.abort();
    await ended;
  });

  it('when the watch is refused, then it fails with the API server\'s Status as an ApiError', async () => {
    answer = (_req, res) => res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({
      kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403,
      message: 'configmaps is forbidden: User "system:serviceaccount:davy-system:davy-stepper" cannot watch resource "configmaps"',
    }));
    const caught = await watch(client(), []).then(() => undefined, (error: unknown) => error);
    expect(caught).to.be.instanceOf(ApiError);
    expect((caught as ApiError).status).to.equal(403);
    expect((caught as ApiError).message).to.include('cannot watch resource "configmaps"');
  });

  it('when the connection is cut before any answer, then the watch fails with that error and nothing else is left unhandled', async () => {
    // An API server restarting, a load balancer resetting: the stepper must log it and go on. A
    // rejection nobody awaits ends a Node process (the stepper died so behind the fault proxy).
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      answer = (req) => req.socket.destroy();
      const caught = await watch(client(), []).then(() => undefined, (error: unknown) => error);
      expect(String(caught)).to.match(/socket hang up|ECONNRESET/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled.map(String)).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('when a line is not a watch event, then the stream ends with an error naming it', async () => {
    answer = (_req, res) => void res.writeHead(200).write(`${line('ADDED', 'a', '8')}<html>proxy error</html>\n`);
    const events: WatchEvent[] = [];
    const { ended } = await watch(client(), events);
    const caught = await ended.then(() => undefined, (error: unknown) => error);
    expect(String(caught)).to.include('not a watch event: <html>proxy error</html>');
    expect(events).to.have.length(1);
  });
});
