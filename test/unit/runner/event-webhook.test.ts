// The global event webhook (`davy step --event-webhook`, Flagger's -event-webhook): every event of
// a canary with no `event` webhook of its own is POSTed to it, through the real webhook caller, as
// Flagger's webhook payload. A local receiver checks each body's documented shape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { createWebhookCaller } from '../../../src/webhooks/caller.js';
import { canaryOf, events, passUntil, phaseIs, setImage, world, type World } from './world.js';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

class Receiver {
  readonly received: Received[] = [];
  private server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(req.method === 'POST' && req.headers['content-type'] === 'application/json' ? 200 : 400).end();
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The real caller for the receiver's URLs; the fixture's load-tester hooks answer 200 as in world(). */
function calling(w: World, receiver: Receiver): void {
  const real = createWebhookCaller();
  const fake = w.deps.webhooks;
  w.deps.webhooks = { call: (call, signal) => (call.hook.url.startsWith(receiver.url) ? real.call(call, signal) : fake.call(call, signal)) };
}

describe('runner: the global event webhook', () => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => receiver.received.splice(0));

  it('when a canary has no event webhook, then each of its events is posted with Flagger\'s payload', async () => {
    const w = world();
    calling(w, receiver);
    w.deps.eventWebhook = `${receiver.url}/global`;
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, phaseIs('Progressing'), 20);
    expect(receiver.received.map((r) => r.body.metadata && (r.body.metadata as Record<string, string>).eventMessage)).to.deep.equal(events(w));
    expect(events(w)).to.include.members(['Initialization done! podinfo.test', 'New revision detected! Scaling up podinfo.test']);
    for (const { path, body } of receiver.received) {
      expect(path).to.equal('/global');
      expect(Object.keys(body).sort()).to.deep.equal(['checksum', 'metadata', 'name', 'namespace', 'phase']);
      expect(body).to.include({ name: 'podinfo', namespace: 'test' });
      expect(body.checksum).to.be.a('string').and.not.equal('');
      const metadata = body.metadata as Record<string, string>;
      expect(Object.keys(metadata).sort()).to.deep.equal(['eventMessage', 'eventType', 'timestamp']);
      expect(metadata.eventType).to.be.oneOf(['Normal', 'Warning']);
      expect(metadata.timestamp).to.match(/^\d{13}$/);
    }
  });

  it('when a canary has event webhooks of its own, then they replace the global one', async () => {
    const w = world();
    calling(w, receiver);
    w.deps.eventWebhook = `${receiver.url}/global`;
    const canary = canaryOf(w)!;
    canary.spec.analysis!.webhooks = [...(canary.spec.analysis!.webhooks ?? []), { name: 'mine', type: 'event', url: `${receiver.url}/own` }];
    await w.kube.replace(canary as unknown as KubeObject);
    await passUntil(w, phaseIs('Initialized'), 20);
    expect(receiver.received.length).to.be.greaterThan(0);
    expect([...new Set(receiver.received.map((r) => r.path))]).to.deep.equal(['/own']);
  });

  it('when no global event webhook is set, then nothing is posted', async () => {
    const w = world();
    calling(w, receiver);
    await passUntil(w, phaseIs('Initialized'), 20);
    expect(receiver.received).to.deep.equal([]);
  });
});
