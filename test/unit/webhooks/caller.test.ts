// The webhook caller against a local HTTP receiver on port 0 that records every call and answers
// from a script: payload shape, status handling, bodies in messages, timeouts and retries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { effectiveWebhook } from '../../../src/api/defaults.js';
import type { CanaryWebhook } from '../../../src/api/types.js';
import { callWebhook, createWebhookCaller, defaultBackoffMs, type WebhookCall } from '../../../src/webhooks/caller.js';
import { payloadChecksum } from '../../../src/webhooks/payload.js';

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

class Receiver {
  readonly received: Received[] = [];
  /** Replies in order; the last one repeats. */
  replies: Reply[] = [{ status: 200 }];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const reply = this.replies[Math.min(this.received.length - 1, this.replies.length - 1)]!;
      if (reply === 'hang') return;
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
    });
  });

  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const receiver = new Receiver();

const call = (hook: Partial<CanaryWebhook> = {}, extra: Partial<WebhookCall> = {}): WebhookCall => ({
  hook: effectiveWebhook({ name: 'load-test', url: receiver.url, ...hook }),
  canary: { name: 'podinfo', namespace: 'test' },
  phase: 'Progressing',
  checksum: '3f2a9c0d1e4b5a67',
  ...extra,
});

const fast = { backoffMs: () => 1 };

describe('webhook caller', () => {
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.replies = [{ status: 200 }];
  });

  describe('payload', () => {
    it('when a rollout hook is called, then Flagger\'s payload is POSTed as JSON with the hook\'s metadata', async () => {
      const result = await callWebhook(call({ metadata: { type: 'cmd', cmd: 'hey -z 2m -q 10 -c 2 http://podinfo-canary.test:9898/' } }));
      expect(result).to.deep.equal({ ok: true, status: 200, attempts: 1 });
      const [got] = receiver.received;
      expect(got).to.deep.include({ method: 'POST', path: '/' });
      expect(got!.headers['content-type']).to.equal('application/json');
      expect(got!.body).to.deep.equal({
        name: 'podinfo',
        namespace: 'test',
        phase: 'Progressing',
        checksum: '3f2a9c0d1e4b5a67',
        metadata: { type: 'cmd', cmd: 'hey -z 2m -q 10 -c 2 http://podinfo-canary.test:9898/' },
      });
    });

    it('when a hook has no metadata, then metadata is an empty object', async () => {
      await callWebhook(call());
      expect(receiver.received[0]!.body).to.have.deep.property('metadata', {});
    });

    it('when an event hook is called, then eventMessage, eventType and timestamp win over user metadata', async () => {
      const event = { message: 'Advance podinfo.test canary weight 10', type: 'Normal' as const, timestamp: 1_700_000_000_123 };
      await callWebhook(call({ type: 'event', metadata: { eventType: 'spoofed', team: 'web' } }, { event, phase: 'Progressing' }));
      expect(receiver.received[0]!.body).to.have.deep.property('metadata', {
        team: 'web',
        eventType: 'Normal',
        eventMessage: 'Advance podinfo.test canary weight 10',
        timestamp: '1700000000123',
      });
    });
  });

  describe('status codes', () => {
    for (const status of [200, 201, 202, 204]) {
      it(`when the receiver answers ${status}, then the call succeeds`, async () => {
        receiver.replies = [{ status }];
        expect(await callWebhook(call())).to.deep.equal({ ok: true, status, attempts: 1 });
      });
    }

    it('when the load tester\'s gate answers 403 Forbidden, then the call fails with the body as message, without retrying', async () => {
      receiver.replies = [{ status: 403, body: 'Forbidden' }];
      expect(await callWebhook(call({ retries: 3 }), fast)).to.deep.equal({ ok: false, message: 'Forbidden', status: 403, attempts: 1 });
      expect(receiver.received).to.have.length(1);
    });

    it('when a failure has an empty body, then the message is the status line', async () => {
      receiver.replies = [{ status: 404 }];
      expect(await callWebhook(call())).to.deep.include({ ok: false, message: 'HTTP 404 Not Found' });
    });

    it('when a failure body carries line breaks, ANSI escapes and control characters, then the message is one printable line of at most 200 characters', async () => {
      receiver.replies = [{ status: 403, body: `\u001b[31mdenied\u001b[0m\r\nline two\u0000\u200b\u2028${'x'.repeat(5000)}` }];
      const result = await callWebhook(call());
      expect(result.ok).to.equal(false);
      const message = (result as { message: string }).message;
      expect(message).to.match(/^denied line two x+\.\.\.$/);
      expect(message.length).to.equal(203);
    });

    it('when a failure body is long, then the message is truncated', async () => {
      receiver.replies = [{ status: 500, body: `exit status 1: ${'x'.repeat(5000)}` }];
      const result = await callWebhook(call(), { maxMessageChars: 100 });
      expect(result).to.have.property('message').that.has.length(103).and.satisfies((m: string) => m.startsWith('exit status 1: x') && m.endsWith('...'));
    });
  });

  describe('retries', () => {
    it('when the receiver answers 500 then 200 and retries is 2, then the call succeeds on the second attempt', async () => {
      receiver.replies = [{ status: 500, body: 'boom' }, { status: 200 }];
      expect(await callWebhook(call({ retries: 2 }), fast)).to.deep.equal({ ok: true, status: 200, attempts: 2 });
    });

    it('when the receiver keeps answering 503, then retries + 1 attempts are made and the message says so', async () => {
      receiver.replies = [{ status: 503, body: 'unavailable' }];
      expect(await callWebhook(call({ retries: 2 }), fast)).to.deep.equal({ ok: false, message: 'unavailable (after 3 attempts)', status: 503, attempts: 3 });
      expect(receiver.received).to.have.length(3);
    });

    it('when the receiver answers 429, then the call is retried; 501 is not', async () => {
      receiver.replies = [{ status: 429 }, { status: 204 }];
      expect(await callWebhook(call({ retries: 1 }), fast)).to.deep.include({ ok: true, attempts: 2 });
      receiver.received.length = 0;
      receiver.replies = [{ status: 501 }];
      expect(await callWebhook(call({ retries: 1 }), fast)).to.deep.include({ ok: false, attempts: 1 });
    });

    it('when retries is 0, then a 5xx is final', async () => {
      receiver.replies = [{ status: 502, body: 'bad gateway' }];
      expect(await callWebhook(call(), fast)).to.deep.equal({ ok: false, message: 'bad gateway', status: 502, attempts: 1 });
    });

    it('when a 503 carries Retry-After, then it is used instead of the backoff', async () => {
      receiver.replies = [{ status: 503, headers: { 'retry-after': '0' } }, { status: 200 }];
      const asked: number[] = [];
      const result = await callWebhook(call({ retries: 1 }), { backoffMs: (n) => { asked.push(n); return 1; } });
      expect(result).to.deep.include({ ok: true, attempts: 2 });
      expect(asked).to.deep.equal([]);
    });

    it('when the backoff is left to the default, then it doubles from 1s and is capped at 30s', () => {
      expect([1, 2, 3, 6, 10].map(defaultBackoffMs)).to.deep.equal([1000, 2000, 4000, 30_000, 30_000]);
    });
  });

  describe('timeouts and connection errors', () => {
    it('when the receiver does not answer within the hook\'s timeout, then the attempt times out and is retried', async () => {
      receiver.replies = ['hang'];
      const result = await callWebhook(call({ timeout: '100ms', retries: 1 }), fast);
      expect(result).to.have.property('ok', false);
      expect(result).to.have.property('message').that.includes('timed out after 100 ms').and.includes('after 2 attempts');
      expect(receiver.received).to.have.length(2);
    });

    it('when the connection is reset, then the call fails as a value and is retried', async () => {
      receiver.replies = ['destroy', { status: 200 }];
      expect(await callWebhook(call({ retries: 1 }), fast)).to.deep.include({ ok: true, attempts: 2 });
    });

    it('when nothing listens, then the message names the refused connection', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const result = await callWebhook(call({ url: `http://127.0.0.1:${port}/`, retries: 1 }), fast);
      expect(result).to.deep.include({ ok: false, attempts: 2 });
      expect(result).to.have.property('message').that.includes('ECONNREFUSED');
    });

    it('when the URL is not http(s), then the call fails at once', async () => {
      expect(await callWebhook(call({ url: 'ftp://x/', retries: 3 }), fast)).to.deep.include({ ok: false, attempts: 1 });
    });

    it('when the caller aborts during the backoff, then the call ends as cancelled', async () => {
      receiver.replies = [{ status: 500 }];
      const controller = new AbortController();
      const pending = createWebhookCaller({ backoffMs: () => 60_000 }).call(call({ retries: 5 }), controller.signal);
      while (receiver.received.length === 0) await new Promise((resolve) => setImmediate(resolve));
      controller.abort();
      expect(await pending).to.have.property('message').that.includes('cancelled');
    });
  });
});

describe('webhook payload checksum', () => {
  it('when no configs are tracked, then the checksum is the revision itself', () => {
    expect(payloadChecksum('3f2a9c0d1e4b5a67')).to.equal('3f2a9c0d1e4b5a67');
  });

  it('when configs are tracked, then the checksum adds their digest, whatever their order', () => {
    const a = payloadChecksum('3f2a9c0d1e4b5a67', { 'configmap/a': '1', 'secret/b': '2' });
    expect(a).to.match(/^3f2a9c0d1e4b5a67-[0-9a-f]{8}$/);
    expect(payloadChecksum('3f2a9c0d1e4b5a67', { 'secret/b': '2', 'configmap/a': '1' })).to.equal(a);
    expect(payloadChecksum('3f2a9c0d1e4b5a67', { 'configmap/a': '9', 'secret/b': '2' })).not.to.equal(a);
  });
});
