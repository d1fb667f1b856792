// A TLS-terminating proxy in front of the API server that timestamps and counts what a `davy step`
// child process asks. It serves the API server's own certificate (SAN IP:127.0.0.1, so the
// kubeconfig's CA still verifies it) on another loopback port and forwards each request as it came,
// bearer token included. Timestamps are this process's performance.now(), the clock the parent
// also reads when it spawns the child, so "spawn to first request" needs no clock agreement.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface ProxiedRequest {
  /** performance.now() when the request's headers arrived. */
  at: number;
  verb: string;
  kind: string;
}

export interface ApiProxy {
  url: string;
  requests: ProxiedRequest[];
  /** performance.now() of each TLS connection's start. */
  connections: number[];
  reset(): void;
  close(): Promise<void>;
}

const KINDS: Record<string, string> = {
  canaries: 'Canary', deployments: 'Deployment', daemonsets: 'DaemonSet', services: 'Service', events: 'Event', configmaps: 'ConfigMap',
  secrets: 'Secret', trafficsplits: 'TrafficSplit', metrictemplates: 'MetricTemplate', horizontalpodautoscalers: 'HorizontalPodAutoscaler',
};

/** The verb and kind of an API path, as NodeKubeClient's onRequest names them. */
export function classify(method: string, url: string): { verb: string; kind: string } {
  const path = url.split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const scoped = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  const plural = scoped[0] ?? 'discovery';
  const named = scoped.length >= 2;
  const watch = /[?&]watch=(true|1)(&|$)/.test(url);
  const verb = method === 'GET' ? (named ? 'GET' : watch ? 'WATCH' : 'LIST') : method;
  // Knative's Services are not the core kind of the same name.
  const group = parts[0] === 'apis' && parts[1] === 'serving.knative.dev' ? 'knative ' : '';
  return { verb, kind: `${group}${KINDS[plural] ?? plural}` };
}

export async function startApiProxy(upstream: string, pkiDir: string): Promise<ApiProxy> {
  const target = new URL(upstream);
  const ca = fs.readFileSync(`${pkiDir}/ca.crt`);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca });
  const requests: ProxiedRequest[] = [];
  const connections: number[] = [];
  const server = https.createServer({ cert: fs.readFileSync(`${pkiDir}/apiserver.crt`), key: fs.readFileSync(`${pkiDir}/apiserver.key`) }, (req, res) => {
    requests.push({ at: performance.now(), ...classify(req.method ?? 'GET', req.url ?? '/') });
    const headers = { ...req.headers, host: target.host };
    // A connection cut on either side ends this exchange only (a long watch, a client that went away).
    const fail = (error: Error): void => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502).end(String(error));
    };
    const out = https.request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // As the API server does: a watch's headers go out before its first event.
      res.flushHeaders();
      answer.on('error', fail);
      answer.pipe(res);
    });
    out.on('error', fail);
    req.on('error', () => out.destroy());
    res.on('error', () => out.destroy());
    req.pipe(out);
  });
  server.on('connection', () => connections.push(performance.now()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    connections,
    reset() {
      requests.length = 0;
      connections.length = 0;
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A copy of a kubeconfig whose cluster points at `server`. */
export function kubeconfigVia(source: string, server: string, file: string): string {
  const config = parseYaml(fs.readFileSync(source, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = server;
  fs.writeFileSync(file, stringifyYaml(config));
  return file;
}

/** Requests by `verb kind`, sorted. */
export function tally(requests: readonly Pick<ProxiedRequest, 'verb' | 'kind'>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(`${r.verb} ${r.kind}`, (counts.get(`${r.verb} ${r.kind}`) ?? 0) + 1);
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}
