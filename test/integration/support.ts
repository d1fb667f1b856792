// Shared pieces of the webhook integration tests: certificates made by certs/generate.sh in a
// temp directory, a server on ephemeral ports, and small HTTPS/TLS clients.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startWebhookServer, type RunningWebhook, type ServerDeps, type ServerOptions } from '../../src/admission/server.js';
import type { ValidateFn } from '../../src/admission/validate-handler.js';
import { silentLogger } from '../../src/telemetry/logger.js';

const run = promisify(execFile);
const GENERATE = fileURLToPath(new URL('../../certs/generate.sh', import.meta.url));

export interface CertDir {
  dir: string;
  cert: string;
  key: string;
  ca: Buffer;
}

/** Runs certs/generate.sh into `dir` (a fresh temp dir when omitted), with loopback SANs. */
export async function generateCerts(dir?: string, ...flags: string[]): Promise<CertDir> {
  const out = dir ?? (await mkdtemp(join(tmpdir(), 'davy-certs-')));
  await run(GENERATE, ['--out', out, '--san', 'IP:127.0.0.1', '--san', 'DNS:localhost', ...flags]);
  return { dir: out, cert: join(out, 'tls.crt'), key: join(out, 'tls.key'), ca: await readFile(join(out, 'ca.crt')) };
}

export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

/** A kubeconfig for a test API server on 127.0.0.1:`port` whose certificate `ca` signed, with a bearer token. */
export function kubeConfigFor(port: number, ca: Buffer): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, caData: ca.toString('base64') }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return config;
}

export const allowAll: ValidateFn = () => Promise.resolve({ errors: [], warnings: [] });

export interface TestWebhook {
  webhook: RunningWebhook;
  certs: CertDir;
}

/** Mocha hooks that start a test webhook (fresh certificates) before the suite and stop it after. */
export function withTestWebhook(): () => TestWebhook {
  let current: TestWebhook | undefined;
  before(async () => {
    const certs = await generateCerts();
    current = { certs, webhook: await startTestWebhook(certs) };
  });
  after(async () => {
    await current?.webhook.shutdown('test over');
    if (current) await removeDir(current.certs.dir);
  });
  return () => {
    if (!current) throw new Error('the test webhook is not started yet');
    return current;
  };
}

export async function startTestWebhook(certs: CertDir, deps: Partial<ServerDeps> = {}, options: Partial<ServerOptions> = {}): Promise<RunningWebhook> {
  return startWebhookServer(
    {
      port: 0,
      metricsPort: 0,
      bindAddress: '127.0.0.1',
      tlsCert: certs.cert,
      tlsKey: certs.key,
      stepperIdentities: ['system:serviceaccount:davy-system:davy-stepper'],
      drainTimeoutMs: 10_000,
      certDebounceMs: 50,
      ...options,
    },
    { logger: silentLogger(), validate: allowAll, ...deps },
  );
}

export interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
  headers: IncomingHttpHeaders;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export interface PostOptions {
  method?: string;
  contentType?: string;
  agent?: Agent;
}

/** One HTTPS request to the webhook, verified against the test CA. */
export function send(port: number, ca: Buffer, path: string, body?: string | Buffer, options: PostOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'POST', ca, agent: options.agent, headers: { 'content-type': options.contentType ?? 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json: parseJson(text), headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** GET on the plain-HTTP metrics port. */
export function getMetrics(port: number, path = '/metrics'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    })
      .on('error', reject)
      .end();
  });
}

/** The SHA-256 fingerprint and protocol a fresh TLS connection sees. */
export function handshake(port: number, ca: Buffer, options: { maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string } = {}): Promise<{ fingerprint: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options }, () => {
      const result = { fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '', protocol: socket.getProtocol() ?? '' };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}

/** Polls `probe` until it returns a value (bounded; for effects that are asynchronous by design). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A promise with its resolver, for holding a handler in flight. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
