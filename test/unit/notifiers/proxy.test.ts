// The AlertProvider `proxy` field: posts go through a forwarding proxy on 127.0.0.1, in absolute
// form for http targets and through a CONNECT tunnel (TLS end to end) for https targets.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { NOTIFIERS } from '../../../src/notifiers/index.js';
import { postJson } from '../../../src/notifiers/post.js';
import { ChatReceiver } from '../../harness/chat-receiver.js';
import { ForwardingProxy } from '../../harness/http-proxy.js';
import { generateCerts, removeDir, type CertDir } from '../../integration/support.js';

const notification = { canary: { name: 'podinfo', namespace: 'test' }, message: 'Canary is waiting for approval.', severity: 'warn' as const, fields: [] };

describe('notifiers: the proxy field', function () {
  this.timeout(20_000);
  const receiver = new ChatReceiver();
  const proxy = new ForwardingProxy();
  let base = '';
  let proxyUrl = '';
  before(async () => {
    base = await receiver.start();
    proxyUrl = await proxy.start();
  });
  after(async () => {
    await proxy.stop();
    await receiver.stop();
  });

  it('when a proxy is set and the hook is http, then the post goes through the proxy in absolute form and arrives', async () => {
    const result = await NOTIFIERS.slack({ address: `${base}/slack/T/B/x`, channel: 'general', username: 'flagger', proxy: proxyUrl }).post(notification);
    expect(result, JSON.stringify(receiver.refused)).to.deep.equal({ ok: true });
    expect(proxy.seen).to.include(`POST ${base}/slack/T/B/x`);
    expect(receiver.received.at(-1)!.body.channel).to.equal('general');
  });

  it('when the proxy is down, then the post fails naming the proxy, and nothing arrives', async () => {
    const before = receiver.received.length;
    const result = await NOTIFIERS.msteams({ address: `${base}/teams/x`, channel: 'general', username: 'flagger', proxy: 'http://127.0.0.1:1' }).post(notification);
    expect(!result.ok && result.message).to.match(/via proxy http:\/\/127\.0\.0\.1:1\//);
    expect(receiver.received.length).to.equal(before);
  });

  describe('with an https hook', () => {
    let certs: CertDir;
    let server: https.Server;
    const bodies: string[] = [];
    before(async () => {
      certs = await generateCerts();
      server = https.createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      server.close();
      await removeDir(certs.dir);
    });

    it('when a proxy is set, then a CONNECT tunnel carries the TLS exchange and the payload arrives intact', async () => {
      const port = (server.address() as AddressInfo).port;
      const result = await postJson(`https://127.0.0.1:${port}/hook`, { text: 'hello' }, { proxy: proxyUrl, ca: certs.ca.toString() });
      expect(result).to.deep.equal({ ok: true });
      expect(proxy.seen).to.include(`CONNECT 127.0.0.1:${port}`);
      expect(JSON.parse(bodies.at(-1)!)).to.deep.equal({ text: 'hello' });
    });
  });
});
