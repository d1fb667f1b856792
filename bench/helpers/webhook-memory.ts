// The webhook's peak memory under many concurrent large reviews (issue 11, finding 6): a `davy
// webhook` process of its own, 100 concurrent /mutate reviews of about 4 MB each (a Deployment
// with thousands of env vars, old and new), and the process's peak resident set (VmHWM) read from
// /proc afterwards. Shared by bench/webhook-memory.bench.ts and the integration test.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { sampleRssParts, statusMiB, type RssParts } from './rss.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface MemoryRun {
  /** Peak resident set of the webhook process, MiB. */
  peakRssMiB: number;
  /** Resident set before the load, MiB. */
  idleRssMiB: number;
  /** HTTP status of each answer (0: the connection failed). */
  statuses: Record<number, number>;
  /** Bodies of the 429 answers that were not `{"error": {"code": "Overloaded", ...}}`. */
  malformedRefusals: number;
  bodyBytes: number;
}

/** A /mutate review of a canaried Deployment whose template changed, about `bytes` long. */
export function largeReview(bytes: number): Buffer {
  const env = (tag: string, count: number) => Array.from({ length: count }, (_, i) => ({ name: `VAR_${i}`, value: `${tag}-${i}-${'x'.repeat(24)}` }));
  const deployment = (tag: string, count: number) => ({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'big', namespace: 'test', labels: { 'davy.dev/canary': 'big' }, annotations: { 'davy.dev/stable-revision': '0123456789abcdef' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'app', image: `example/big:${tag}`, env: env(tag, count) }] } } },
  });
  const review = (count: number) => JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: 'u-big', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'big', namespace: 'test', operation: 'UPDATE', userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object: deployment('2', count), oldObject: deployment('1', count), dryRun: false,
    },
  });
  const perVar = (review(2000).length - review(1000).length) / 1000;
  let count = Math.floor((bytes - review(0).length) / perVar);
  let text = review(count);
  while (text.length > bytes) text = review((count -= 10));
  return Buffer.from(text);
}

type Container = { command?: string[]; env?: { name: string; value?: string }[] };

/** The first container of a component's pod in deploy/: the webhook's Deployment, or the stepper's CronJob. */
function shippedContainer(file: string): Container | undefined {
  type Pod = { spec: { containers: Container[] } };
  const object = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as { kind: string; spec: { template?: Pod; jobTemplate?: { spec: { template: Pod } } } };
  const pod = object.kind === 'CronJob' ? object.spec.jobTemplate?.spec.template : object.spec.template;
  return pod?.spec.containers[0];
}

/**
 * The NODE_OPTIONS deploy/ gives a component's container: the webhook's Deployment by default, or
 * the stepper's CronJob (deploy/stepper/cronjob.yaml): measured as shipped.
 */
export function shippedNodeOptions(file = 'deploy/webhook/base/deployment.yaml'): string {
  return shippedContainer(file)?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

/**
 * The node flags a component's container `command` puts before the script (V8 flags that
 * NODE_OPTIONS refuses, such as the stepper's --heap-growing-percent); none when it keeps the
 * image's entrypoint.
 */
export function shippedNodeFlags(file = 'deploy/webhook/base/deployment.yaml'): string[] {
  return (shippedContainer(file)?.command ?? []).slice(1).filter((arg) => arg.startsWith('-'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function post(port: number, ca: Buffer, agent: Agent, body: Buffer, path = '/mutate'): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, ca, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, text: '' }));
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

/** A running `davy webhook` child, ready on its port. */
interface WebhookChild {
  port: number;
  metricsPort: number;
  pid: number;
  stop: () => Promise<void>;
}

async function startWebhook(certDir: { cert: string; key: string; ca: Buffer }): Promise<WebhookChild> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const cli = process.env.DAVY_CLI ? [process.env.DAVY_CLI] : ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
  // Node flags as deploy/'s container command gives them (none), or DAVY_BENCH_WEBHOOK_NODE_FLAGS
  // (any V8 flag, not only those NODE_OPTIONS allows), beside deploy/'s NODE_OPTIONS.
  const flags = process.env.DAVY_BENCH_WEBHOOK_NODE_FLAGS?.split(' ').filter(Boolean) ?? shippedNodeFlags();
  const child = spawn(process.execPath, [...flags, ...cli, 'webhook', '--port', String(port), '--metrics-port', String(metricsPort), '--bind-address', '127.0.0.1',
    '--tls-cert', certDir.cert, '--tls-key', certDir.key, '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: shippedNodeOptions() } });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  for (let i = 0; i < 300; i += 1) {
    const ready = await new Promise<boolean>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/readyz', ca: certDir.ca }, (res) => (res.resume(), resolve(res.statusCode === 200))).on('error', () => resolve(false)).end();
    });
    if (ready) return { port, metricsPort, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('davy webhook did not become ready in 30 s');
}

/**
 * Starts `davy webhook` (the bundle at DAVY_CLI when set, else the sources through tsx) with the
 * certificates in `certDir` and the shipped NODE_OPTIONS, sends `concurrency` reviews of `bodyBytes` at once, and stops it.
 */
export async function measureWebhookMemory(certDir: { cert: string; key: string; ca: Buffer }, concurrency = 100, bodyBytes = 4_000_000): Promise<MemoryRun> {
  const webhook = await startWebhook(certDir);
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const body = largeReview(bodyBytes);
    const idleRssMiB = statusMiB(webhook.pid, 'VmRSS');
    const answers = await Promise.all(Array.from({ length: concurrency }, () => post(webhook.port, certDir.ca, agent, body)));
    const peakRssMiB = statusMiB(webhook.pid, 'VmHWM');
    agent.destroy();
    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const malformedRefusals = answers.filter((a) => a.status === 429 && !/^\{"error":\{"code":"Overloaded","message":/.test(a.text)).length;
    return { peakRssMiB, idleRssMiB, statuses, malformedRefusals, bodyBytes: body.length };
  } finally {
    await webhook.stop();
  }
}

export interface OrdinaryRun {
  /** Resident set once ready, before any review, MiB. */
  idleRssMiB: number;
  /** Peak resident set (VmHWM) over the whole run, MiB. */
  peakRssMiB: number;
  /** Resident set at the end of the load, MiB. */
  endRssMiB: number;
  /** The largest anonymous and file-backed parts of the resident set seen, sampled, MiB. */
  peakParts: RssParts;
  /** Answers by path and HTTP status, e.g. "/mutate 200". */
  answers: Record<string, number>;
  seconds: number;
}

/** The reviews of ordinary traffic: recorded and realistic fixtures, compacted as the apiserver sends them. */
function ordinaryBodies(): { path: string; body: Buffer }[] {
  const fixture = (name: string): Buffer => Buffer.from(JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'test/fixtures/admission', name), 'utf8'))));
  return [
    { path: '/mutate', body: fixture('deployment-realistic-10kb.json') },
    { path: '/mutate', body: fixture('recorded/deployment-set-image.json') },
    { path: '/mutate', body: fixture('recorded/deployment-rollout-restart.json') },
    { path: '/validate', body: fixture('recorded/canary-create-three-mistakes.json') },
    { path: '/validate', body: fixture('canary-create.json') },
    { path: '/validate', body: fixture('canary-annotation-update.json') },
  ];
}

/**
 * Ordinary load: `connections` keep-alive connections sending the reviews of ordinary traffic
 * (three /mutate, three /validate, taking turns) for `seconds`, and /metrics scraped every second,
 * against a `davy webhook` as shipped. Its peak resident set is what the 64 MiB target is about.
 */
/**
 * `perSecond`: the reviews sent a second in all, spread evenly over the connections; without it
 * each connection sends its next review as soon as the last is answered (thousands a second).
 */
export async function measureOrdinaryLoad(
  certDir: { cert: string; key: string; ca: Buffer }, seconds = 20, connections = 8, perSecond?: number,
): Promise<OrdinaryRun> {
  const webhook = await startWebhook(certDir);
  try {
    const bodies = ordinaryBodies();
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const idleRssMiB = statusMiB(webhook.pid, 'VmRSS');
    const answers: Record<string, number> = {};
    const count = (key: string): void => { answers[key] = (answers[key] ?? 0) + 1; };
    const until = performance.now() + seconds * 1000;
    // A paced connection sends at its own slots: one every connections / perSecond seconds.
    const slotMs = perSecond === undefined ? 0 : (1000 * connections) / perSecond;
    const worker = async (offset: number): Promise<void> => {
      let next = performance.now() + (slotMs * offset) / connections;
      for (let i = offset; performance.now() < until; i += 1) {
        if (slotMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
          next += slotMs;
          if (performance.now() >= until) break;
        }
        const { path, body } = bodies[i % bodies.length]!;
        count(`${path} ${(await post(webhook.port, certDir.ca, agent, body, path)).status}`);
      }
    };
    const memory = sampleRssParts([{ name: 'webhook', pid: () => webhook.pid }]);
    const scrape = setInterval(() => {
      void fetch(`http://127.0.0.1:${webhook.metricsPort}/metrics`).then(async (res) => { count(`/metrics ${res.status}`); await res.text(); }, () => count('/metrics 0'));
    }, 1000);
    await Promise.all(Array.from({ length: connections }, (_, i) => worker(i)));
    clearInterval(scrape);
    agent.destroy();
    const peakParts = memory.stop().webhook ?? { anon: Number.NaN, file: Number.NaN };
    return { idleRssMiB, peakRssMiB: statusMiB(webhook.pid, 'VmHWM'), endRssMiB: statusMiB(webhook.pid, 'VmRSS'), peakParts, answers, seconds };
  } finally {
    await webhook.stop();
  }
}
