// The kube client decodes an answer as it arrives (src/kube/node-client.ts), so a character whose
// UTF-8 bytes arrive in two chunks must still be read whole: a name, a label or a message in any
// language can straddle the boundary of a TLS record in a LIST of megabytes.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { KubeObject } from '../../src/kube/client.js';
import { NodeKubeClient } from '../../src/kube/node-client.js';
import { generateCerts, kubeConfigFor, removeDir, type CertDir } from './support.js';

describe('kube client: answers in several chunks', () => {
  let certs: CertDir;
  let server: Server;
  /** The answer's bytes, and where they are cut into separate writes. */
  let answer: { body: Buffer; cuts: number[] } = { body: Buffer.alloc(0), cuts: [] };

  before(async () => {
    certs = await generateCerts();
    server = createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      void (async () => {
        let from = 0;
        for (const cut of answer.cuts) {
          res.write(answer.body.subarray(from, cut));
          from = cut;
          // Each part leaves in its own TLS record, and so reaches the client as its own chunk.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        res.end(answer.body.subarray(from));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await removeDir(certs.dir);
  });

  it('when a multi-byte character is cut between two chunks, then the object is read with the character whole', async () => {
    const message = 'déploiement 金丝雀 🐤 prêt';
    const body = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { message } }));
    const start = (text: string): number => body.indexOf(Buffer.from(text));
    // Inside "é" (2 bytes), "金" (3 bytes) and the chick (4 bytes): one byte, then the rest.
    answer = { body, cuts: [start('é') + 1, start('金') + 2, start('🐤') + 1, start('🐤') + 3] };
    const kube = new NodeKubeClient(kubeConfigFor((server.address() as AddressInfo).port, certs.ca));
    try {
      const read = await kube.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: 'c' });
      expect(read?.data?.message).to.equal(message);
    } finally {
      kube.close();
    }
  });
});
