// The HTTP scaffolding the test receivers share (chat-receiver.ts, cloudevents-receiver.ts): a
// server on a free local port, its URL, a stop that closes open connections, and each request's
// whole body handed to the receiver's own `receive`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export abstract class PostReceiver {
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.receive(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** One request, its body read whole. */
  protected abstract receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void;
}
