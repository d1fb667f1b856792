// A forwarding HTTP proxy on 127.0.0.1 for the notifiers' `proxy` field: absolute-form requests
// (`POST http://host/path`) are forwarded, CONNECT opens a tunnel. It records what it was asked,
// so a test can tell a post that went through the proxy from one that went straight.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export class ForwardingProxy {
  /** `POST http://...` for forwarded requests, `CONNECT host:port` for tunnels. */
  readonly seen: string[] = [];
  private server?: http.Server;
  private readonly tunnels = new Set<net.Socket>();

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      let target: URL;
      try {
        target = new URL(req.url ?? '');
      } catch {
        res.writeHead(400).end('absolute-form request required');
        return;
      }
      const upstream = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end('bad gateway'));
      req.pipe(upstream);
    });
    this.server.on('connect', (req, client: net.Socket, head: Buffer) => {
      this.seen.push(`CONNECT ${req.url ?? ''}`);
      this.tunnels.add(client);
      client.on('close', () => this.tunnels.delete(client));
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    for (const socket of this.tunnels) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
