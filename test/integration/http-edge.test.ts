// The webhook's HTTP edge (express, kept lean): how bodies are read and refused, the probes'
// methods, exact paths and query strings, the headers express would add, clients that go away
// mid-request, and the last error middleware answering JSON.
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { createApp } from '../../src/admission/app.js';
import { stepperIdentity } from '../../src/admission/mutate.js';
import type { RunningWebhook } from '../../src/admission/server.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { WebhookMetrics } from '../../src/telemetry/webhook-metrics.js';
import { fixtureText } from '../fixtures/admission/index.js';
import { allowAll, eventually, generateCerts, removeDir, send, startTestWebhook, type CertDir, type Reply } from './support.js';

describe('webhook HTTP edge', function () {
  this.timeout(20_000);
  let certs: CertDir;
  let webhook: RunningWebhook;

  before(async () => {
    certs = await generateCerts();
    webhook = await startTestWebhook(certs);
  });
  after(async () => {
    await webhook.shutdown('test over');
    await removeDir(certs.dir);
  });

  /** A request with any headers; the body is written in the given chunks. */
  const raw = (path: string, headers: Record<string, string | number>, chunks: (string | Buffer)[], method = 'POST'): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: webhook.port, path, method, ca: certs.ca, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json, headers: res.headers });
        });
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  it('when a review arrives in many small chunks, then it is read whole and answered', async () => {
    const text = fixtureText('deployment-set-image');
    const chunks = Array.from({ length: Math.ceil(text.length / 100) }, (_, i) => text.slice(i * 100, (i + 1) * 100));
    const reply = await raw('/mutate', { 'content-type': 'application/json' }, chunks);
    expect(reply.status).to.equal(200);
    expect(reply.json).to.have.nested.property('response.patchType', 'JSONPatch');
  });

  it('when the body is gzip-compressed, then it answers 415 UnsupportedEncoding in JSON', async () => {
    const reply = await raw('/mutate', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, [gzipSync(fixtureText('deployment-set-image'))]);
    expect(reply.status).to.equal(415);
    expect(reply.json).to.have.nested.property('error.code', 'UnsupportedEncoding');
  });

  it('when a chunked body without Content-Length grows past the limit, then it answers 413 and keeps serving', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 0x20);
    const reply = await raw('/validate', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, [megabyte, megabyte, megabyte, megabyte, megabyte]);
    expect(reply.status).to.equal(413);
    expect(reply.json).to.have.nested.property('error.code', 'BodyTooLarge');
    expect((await send(webhook.port, certs.ca, '/mutate', fixtureText('deployment-set-image'))).status).to.equal(200);
  });

  it('when the path carries a query string, then the route still matches', async () => {
    const reply = await send(webhook.port, certs.ca, '/mutate?timeout=5s', fixtureText('deployment-set-image'));
    expect(reply.status).to.equal(200);
  });

  it('when a path differs from a route by case or a trailing slash, then it answers 404 JSON (exact paths only)', async () => {
    for (const path of ['/Mutate', '/mutate/', '/VALIDATE', '/validate/', '/healthz/', '/Readyz']) {
      const reply = await send(webhook.port, certs.ca, path, fixtureText('deployment-set-image'));
      expect([path, reply.status, reply.contentType]).to.deep.equal([path, 404, 'application/json; charset=utf-8']);
      expect(reply.json).to.have.nested.property('error.code', 'NotFound');
    }
  });

  it('when a review is answered, then express adds no X-Powered-By and no ETag', async () => {
    const reply = await raw('/mutate', { 'content-type': 'application/json' }, [fixtureText('deployment-set-image')]);
    expect(reply.status).to.equal(200);
    expect(reply.headers).to.not.have.any.keys('x-powered-by', 'etag');
    expect(reply.headers['content-length']).to.equal(String(Buffer.byteLength(reply.text)));
  });

  it('when the probes are asked with HEAD, or with POST, then HEAD answers 200 and POST 404 JSON', async () => {
    const head = await raw('/healthz', {}, [], 'HEAD');
    expect([head.status, head.text]).to.deep.equal([200, '']);
    const post = await send(webhook.port, certs.ca, '/readyz', '{}');
    expect(post.status).to.equal(404);
    expect(post.json).to.have.nested.property('error.code', 'NotFound');
  });

  it('when /mutate is asked with GET, then 405 carries Allow: POST', async () => {
    const reply = await raw('/mutate', {}, [], 'GET');
    expect(reply.status).to.equal(405);
    expect(reply.headers.allow).to.equal('POST');
  });

  it('when a client reconnects with the TLS session it was given, then the session is resumed (no full handshake)', async () => {
    const once = (session?: Buffer): Promise<{ reused: boolean; session?: Buffer }> =>
      new Promise((resolve, reject) => {
        let ticket: Buffer | undefined;
        const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: certs.ca, servername: 'localhost', session }, () => {
          socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        });
        socket.on('session', (data: Buffer) => (ticket = data));
        socket.on('data', () => undefined);
        socket.on('end', () => resolve({ reused: socket.isSessionReused(), session: ticket }));
        socket.on('error', reject);
      });
    const first = await once();
    expect(first.session, 'a session ticket').to.be.instanceOf(Buffer);
    expect((await once(first.session)).reused).to.equal(true);
  });

  it('when a client sends half a body and disconnects, then the server survives and answers the next review', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: certs.ca, servername: 'localhost' }, () => {
        socket.write('POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on('error', reject);
    });
    await eventually('a review answered after the abort', async () => {
      const reply = await send(webhook.port, certs.ca, '/mutate', fixtureText('deployment-set-image'));
      return reply.status === 200 ? true : undefined;
    });
  });
});

describe('webhook app: the last error middleware', () => {
  let server: Server;
  let metrics: WebhookMetrics;
  const url = (path: string): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  before(async () => {
    metrics = new WebhookMetrics({ defaultMetrics: false });
    const app = createApp({
      logger: silentLogger(),
      metrics,
      stepperIdentity: stepperIdentity([]),
      validate: allowAll,
      isReady: () => {
        throw new Error('readiness probe exploded');
      },
      record: () => {
        throw new Error('recorder exploded');
      },
    });
    // Port 0, in-process; plain HTTP is enough for the app alone (server.ts adds TLS).
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('when a route throws outside any review, then the answer is a JSON 500 Internal, never express\'s HTML page', async () => {
    const res = await fetch(url('/readyz'));
    expect([res.status, res.headers.get('content-type')]).to.deep.equal([500, 'application/json; charset=utf-8']);
    expect(await res.json()).to.deep.equal({ error: { code: 'Internal', message: 'readiness probe exploded' } });
  });

  it('when a review route fails after decoding, outside the handler, then it is a JSON 500 counted as an error of that path', async () => {
    const res = await fetch(url('/mutate'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixtureText('deployment-set-image') });
    expect([res.status, res.headers.get('content-type')]).to.deep.equal([500, 'application/json; charset=utf-8']);
    expect(await res.json()).to.have.nested.property('error.message', 'recorder exploded');
    expect((await metrics.expose()).body).to.include('davy_webhook_requests_total{path="/mutate",verdict="error"} 1');
  });
});
