// A request Node's HTTP parser refuses gets a JSON error like every other answer, not Node's
// empty 400 (issue 11), and the connection closes.
import { connect } from 'node:tls';
import { expect } from 'chai';
import { withTestWebhook } from './support.js';

describe('webhook: malformed HTTP', () => {
  const served = withTestWebhook();

  /** Writes `bytes` over TLS and returns everything the server sent until it closed. */
  const exchange = (bytes: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const { webhook, certs } = served();
      const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: certs.ca, servername: 'localhost' }, () => socket.write(bytes));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

  for (const [name, bytes, status] of [
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['a header without a colon', 'POST /validate HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n', 400],
    ['a Content-Length that is not a number', 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n', 400],
    ['headers over Node\'s limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ] as const) {
    it(`when a client sends ${name}, then it gets a ${status} with a JSON MalformedHttp error and the connection closes`, async () => {
      const answer = await exchange(bytes);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).to.match(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).to.match(/content-type: application\/json/i);
      const parsed = JSON.parse(body ?? '') as { error: { code: string; message: string } };
      expect(parsed.error.code).to.equal('MalformedHttp');
      expect(parsed.error.message).to.match(/^the request is not well-formed HTTP\/1\.1: /);
    });
  }
});
