// /mutate with a realistic ~10 KB Deployment (an UPDATE carrying old and new objects, ~22 KB),
// against a bare express HTTPS endpoint echoing the same body (and the same echo on a server
// built with the app's prototypes, as the webhook's is), in the same run, over loopback
// keep-alive connections. Prints a Markdown table for BENCHMARKS.md and exits non-zero only on
// errors: timings are measured and compared, never asserted.
// Run: npx tsx bench/mutate.bench.ts [--requests N]; BENCH_NODE_FLAGS="--max-opt=2" gives the
// servers' process node flags (all its servers alike, so compare its CPU per request between runs).
import { execFile, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ServerPorts } from './helpers/mutate-servers.js';
import { percentile } from './helpers/stats.js';

const flag = process.argv.indexOf('--requests');
const REQUESTS = flag > 0 ? Number(process.argv[flag + 1]) : 4000;
if (!Number.isInteger(REQUESTS) || REQUESTS < 2) throw new Error('--requests takes an integer >= 2');
const WARMUP = 500;
const ROUNDS = 2; // each target measured twice, interleaved, so drift hits both alike
const here = fileURLToPath(new URL('.', import.meta.url));
// Compact, as the apiserver encodes it (the fixture file is indented for reading).
const body = Buffer.from(JSON.stringify(JSON.parse(await readFile(join(here, '../test/fixtures/admission/deployment-realistic-10kb.json'), 'utf8'))));
const uid = (JSON.parse(body.toString('utf8')) as { request: { uid: string } }).request.uid;

interface Sample {
  latencies: number[];
  errors: number;
  seconds: number;
  /** CPU microseconds (user + system) the servers' process spent during the load. */
  serverCpu: number;
}

type Check = (status: number, text: string) => boolean;
const mutateOk: Check = (status, text) => {
  if (status !== 200) return false;
  const { response } = JSON.parse(text) as { response?: { uid?: string; allowed?: boolean; patchType?: string } };
  return response?.uid === uid && response.allowed === true && response.patchType === 'JSONPatch';
};
const echoOk: Check = (status, text) => status === 200 && text.length === body.length;

function once(port: number, path: string, agent: Agent, ca: Buffer, check: Check): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, ca, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(check(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

/** `count` requests over `connections` keep-alive connections, each worker sequential. */
async function load(port: number, path: string, connections: number, count: number, ca: Buffer, check: Check): Promise<Sample> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < count) {
      issued += 1;
      const t0 = performance.now();
      const ok = await once(port, path, agent, ca, check);
      latencies.push(performance.now() - t0);
      if (!ok) errors += 1;
    }
  };
  const cpuBefore = await serverCpu();
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  const serverCpuMicros = (await serverCpu()) - cpuBefore;
  agent.destroy();
  return { latencies, errors, seconds, serverCpu: serverCpuMicros };
}


function summarise(samples: Sample[]) {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((t, s) => t + s.seconds, 0);
  const cpu = samples.reduce((t, s) => t + s.serverCpu, 0);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: latencies.length / seconds, errors: samples.reduce((t, s) => t + s.errors, 0), n: latencies.length, cpuPerRequest: cpu / latencies.length };
}

const loadBefore = loadavg();
const certs = await mkdtemp(join(tmpdir(), 'davy-bench-'));
await promisify(execFile)(join(here, '../certs/generate.sh'), ['--out', certs, '--san', 'IP:127.0.0.1']);
const ca = await readFile(join(certs, 'ca.crt'));
const child = fork(join(here, 'helpers/mutate-servers.ts'), [join(certs, 'tls.crt'), join(certs, 'tls.key')], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ports = await new Promise<ServerPorts>((resolve, reject) => {
  child.once('message', (m) => resolve(m as ServerPorts));
  child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
});

/** The servers' process CPU time so far, in microseconds. */
function serverCpu(): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => {
      const { cpu } = m as { cpu: NodeJS.CpuUsage };
      resolve(cpu.user + cpu.system);
    });
    child.send('cpu');
  });
}

const targets = [
  { name: '/mutate', port: ports.webhook, path: '/mutate', check: mutateOk },
  { name: 'bare echo', port: ports.bare, path: '/echo', check: echoOk },
  { name: 'bare echo, app prototypes', port: ports.bareProto, path: '/echo', check: echoOk },
] as const;
const rows: string[] = [];
let totalErrors = 0;
const verdicts: string[] = [];
for (const connections of [1, 8]) {
  const samples: Sample[][] = targets.map(() => []);
  for (const t of targets) await load(t.port, t.path, connections, WARMUP, ca, t.check);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, t] of targets.entries()) samples[i]!.push(await load(t.port, t.path, connections, REQUESTS / ROUNDS, ca, t.check));
  }
  const [m, b, bp] = samples.map(summarise) as [ReturnType<typeof summarise>, ReturnType<typeof summarise>, ReturnType<typeof summarise>];
  totalErrors += m.errors + b.errors + bp.errors;
  // "of bare" is against the plain express echo, the reference the targets name.
  const ratio = m.rps / b.rps;
  for (const [i, s] of [m, b, bp].entries()) {
    rows.push(`| ${connections} | ${targets[i]!.name} | ${s.n} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.rps.toFixed(0)} | ${i === 1 ? '' : `${((s.rps / b.rps) * 100).toFixed(0)}%`} | ${s.cpuPerRequest.toFixed(0)} | ${s.errors} |`);
  }
  if (connections === 8) {
    verdicts.push(
      `p99 at 8 connections ${m.p99.toFixed(2)} ms (target <= 3): ${m.p99 <= 3 ? 'met' : 'MISSED'}`,
      `throughput ${(ratio * 100).toFixed(0)}% of bare (target >= 70%): ${ratio >= 0.7 ? 'met' : 'MISSED'}; ${((m.rps / bp.rps) * 100).toFixed(0)}% of the echo with the app's prototypes`,
    );
  }
}
child.disconnect();
await rm(certs, { recursive: true, force: true });

const cpu = cpus();
process.stdout.write(`Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after
Body: ${body.length} bytes (AdmissionReview UPDATE, old and new Deployment); ${REQUESTS} measured requests per target and concurrency after ${WARMUP} warm-up

| connections | endpoint | requests | p50 ms | p99 ms | req/s | of bare | server CPU µs/req | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${verdicts.join('\n')}
errors: ${totalErrors} (target 0)
`);
process.exitCode = totalErrors === 0 ? 0 : 1;
