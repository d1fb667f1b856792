// A fault-injecting HTTPS proxy in front of the kube-apiserver (issue 11): a client pointed at it
// (a kubeconfig whose server is the proxy) gets, on every `every`-th request, the next fault in
// turn among those that fit the request (reads and writes counted apart), and otherwise the
// apiserver's own answer:
//   conflict    409 Conflict, not forwarded (writes only)
//   tooMany     429 with Retry-After: 1, not forwarded
//   serverError 500, not forwarded
//   timeout     no answer; the connection is closed after `timeoutMs` (the client sees a reset,
//               as after its own timeout: the stepper's 30 s is too long for a test)
//   lostAnswer  forwarded and applied by the apiserver, then the connection is closed before the
//               answer is sent (writes only)
// Deterministic: which request gets which fault depends only on the order of requests.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';

export const FAULTS = ['conflict', 'tooMany', 'serverError', 'timeout', 'lostAnswer'] as const;
export type Fault = (typeof FAULTS)[number];

const WRITE_ORDER: readonly Fault[] = ['lostAnswer', 'conflict', 'serverError', 'tooMany', 'timeout'];
const READ_ORDER: readonly Fault[] = ['tooMany', 'serverError', 'timeout'];
const isWrite = (method: string | undefined): boolean => method !== 'GET' && method !== 'HEAD';

export interface FaultProxyOptions {
  /** The apiserver: its URL and the CA that signed its certificate. */
  upstream: string;
  upstreamCa: Buffer;
  /** The proxy's own serving certificate (SAN 127.0.0.1) and key. */
  cert: Buffer;
  key: Buffer;
  /** One request in `every` gets a fault (10 is 10%). */
  every?: number;
  timeoutMs?: number;
}

const status = (code: number, reason: string, message: string): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export class FaultProxy {
  readonly injected: Record<Fault, number> = { conflict: 0, tooMany: 0, serverError: 0, timeout: 0, lostAnswer: 0 };
  /** Faults as `<fault> <METHOD> <path>`, in order. */
  readonly log: string[] = [];
  requests = 0;
  private readonly reads = { seen: 0, turn: 0 };
  private readonly writes = { seen: 0, turn: 0 };
  private server?: https.Server;

  constructor(private readonly options: FaultProxyOptions) {}

  async start(): Promise<string> {
    this.server = https.createServer({ cert: this.options.cert, key: this.options.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * Reads and writes are counted apart, so that the write-only faults are not starved: every
   * `every`-th write gets the next of all faults (lost answers and conflicts first), every
   * `every`-th read the next of those that fit a read.
   */
  private pick(method: string | undefined): Fault | undefined {
    this.requests += 1;
    const side = isWrite(method) ? this.writes : this.reads;
    side.seen += 1;
    if (side.seen % (this.options.every ?? 10) !== 0) return undefined;
    const faults = isWrite(method) ? WRITE_ORDER : READ_ORDER;
    return faults[side.turn++ % faults.length];
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer): void {
    const fault = this.pick(req.method);
    if (fault) {
      this.injected[fault] += 1;
      this.log.push(`${fault} ${req.method ?? ''} ${req.url ?? ''}`);
    }
    const json = { 'content-type': 'application/json' };
    switch (fault) {
      case 'conflict':
        res.writeHead(409, json).end(status(409, 'Conflict', 'injected: the object has been modified; please apply your changes to the latest version and try again'));
        return;
      case 'tooMany':
        res.writeHead(429, { ...json, 'retry-after': '1' }).end(status(429, 'TooManyRequests', 'injected: too many requests'));
        return;
      case 'serverError':
        res.writeHead(500, json).end(status(500, 'InternalError', 'injected: etcdserver: leader changed'));
        return;
      case 'timeout':
        setTimeout(() => req.socket.destroy(), this.options.timeoutMs ?? 1000);
        return;
      default:
        this.forward(req, res, body, fault === 'lostAnswer');
    }
  }

  private forward(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer, loseAnswer: boolean): void {
    const target = new URL(req.url ?? '/', this.options.upstream);
    const upstream = https.request(target, { method: req.method, headers: { ...req.headers, host: target.host }, ca: this.options.upstreamCa }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        if (loseAnswer) req.socket.destroy();
        else res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => res.writeHead(502, { 'content-type': 'application/json' }).end(status(502, 'BadGateway', 'fault proxy: upstream failed')));
    upstream.end(body);
  }
}

/** A copy of `kubeconfig` (a token kubeconfig) whose server is `proxy`, trusted through `ca`. */
export function kubeconfigThrough(kubeconfig: string, proxy: string, ca: Buffer, file: string): string {
  const config = parseYaml(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  for (const c of config.clusters) {
    c.cluster.server = proxy;
    c.cluster['certificate-authority-data'] = ca.toString('base64');
  }
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The apiserver's URL and CA from an admin kubeconfig. */
export function upstreamOf(kubeconfig: string): { upstream: string; upstreamCa: Buffer } {
  const config = parseYaml(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const cluster = config.clusters[0]!.cluster;
  return { upstream: cluster.server!, upstreamCa: Buffer.from(cluster['certificate-authority-data']!, 'base64') };
}
