// The kube client's reads do not queue behind its writes (issue 15, item 3): when writes fill
// every socket of the pool (a hundred canaries promoting at once), a LIST for a namespace that
// came due still goes out at once, so its steps are not late by other namespaces' writes.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { generateCerts, kubeConfigFor, removeDir, type CertDir } from './support.js';

describe('kube client: reads beside a pool full of writes', () => {
  let certs: CertDir;
  let server: Server;
  /** Answers the writes held so far, when called. */
  const held: (() => void)[] = [];

  before(async () => {
    certs = await generateCerts();
    server = createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      req.resume();
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(req.method === 'GET' ? { items: [] } : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }));
      };
      if (req.method === 'GET') answer();
      else held.push(answer);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await removeDir(certs.dir);
  });

  it('when 40 writes are unanswered, then a LIST is answered before any of them', async () => {
    const config = kubeConfigFor((server.address() as AddressInfo).port, certs.ca);
    const kube = new NodeKubeClient(config);
    const order: string[] = [];
    const writes = Array.from({ length: 40 }, (_, i) =>
      kube.replace({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'n' } }).then(() => order.push('write')));
    // Every socket of the pool carries a write the server holds.
    for (let i = 0; i < 100 && held.length < 16; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(held.length).to.equal(16);
    const listed = kube.list('v1', 'ConfigMap', 'n').then(() => order.push('list'));
    try {
      await Promise.race([listed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      expect(order, 'answered while every write waits').to.deep.equal(['list']);
    } finally {
      for (const answer of held.splice(0)) answer();
      while (order.length < 41) {
        for (const answer of held.splice(0)) answer();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    await Promise.all([listed, ...writes]);
    kube.close();
  });
});
