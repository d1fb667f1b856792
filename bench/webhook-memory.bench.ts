// The webhook's peak RSS under ordinary load (8 connections of ordinary reviews, /metrics scraped;
// target 64 MiB), once as fast as it answers and once at the pace a busy cluster's API server
// sends (--rate, default 50 reviews a second: issue 15's N=200 side-by-side run sent 3,938 in a
// 107 s rollout, about 37 a second), and under 100 concurrent ~4 MB reviews, against three quarters of its pod's
// 256Mi limit (deploy/webhook/base/deployment.yaml). Prints Markdown tables for BENCHMARKS.md;
// memory is measured and reported, never asserted here (test/integration/webhook-memory.test.ts
// holds the bound).
// Run: DAVY_CLI=dist/bundle/davy.js npx tsx bench/webhook-memory.bench.ts [--concurrency N] [--seconds S] [--rate R]
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadavg } from 'node:os';
import { measureOrdinaryLoad, measureWebhookMemory } from './helpers/webhook-memory.js';

const flag = process.argv.indexOf('--concurrency');
const concurrency = flag > 0 ? Number(process.argv[flag + 1]) : 100;
const secondsFlag = process.argv.indexOf('--seconds');
const seconds = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 20;
const rateFlag = process.argv.indexOf('--rate');
const rate = rateFlag > 0 ? Number(process.argv[rateFlag + 1]) : 50;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' / ');
const dir = await mkdtemp(join(tmpdir(), 'davy-memory-bench-'));
try {
  await promisify(execFile)(fileURLToPath(new URL('../certs/generate.sh', import.meta.url)), ['--out', dir, '--san', 'IP:127.0.0.1']);
  const certs = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: await readFile(join(dir, 'ca.crt')) };
  console.log(`Started as: ${process.env.DAVY_CLI ?? 'tsx src/cli/index.ts'}; 1/5/15-minute load average at the start: ${load()}.`);
  console.log();
  console.log('| load | idle RSS | peak RSS | RSS at the end | largest anonymous / file-backed RSS | target | answers |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, perSecond] of [['as fast as answered', undefined], [`${rate} reviews/s`, rate]] as const) {
    const ordinary = await measureOrdinaryLoad(certs, seconds, 8, perSecond);
    const counted = Object.entries(ordinary.answers).sort().map(([key, n]) => `${n} × ${key}`).join(', ');
    console.log(`| 8 connections, ordinary reviews ${label}, ${ordinary.seconds} s | ${ordinary.idleRssMiB.toFixed(0)} MiB | ${ordinary.peakRssMiB.toFixed(0)} MiB | ${ordinary.endRssMiB.toFixed(0)} MiB | ${ordinary.peakParts.anon.toFixed(0)} / ${ordinary.peakParts.file.toFixed(0)} MiB | 64 MiB | ${counted} |`);
  }
  console.log();
  const run = await measureWebhookMemory(certs, concurrency);
  console.log('| reviews at once | body | idle RSS | peak RSS | budget (3/4 of 256Mi) | answers |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const answers = Object.entries(run.statuses).map(([status, n]) => `${n} × ${status}`).join(', ');
  console.log(`| ${concurrency} | ${(run.bodyBytes / 1e6).toFixed(2)} MB | ${run.idleRssMiB.toFixed(0)} MiB | ${run.peakRssMiB.toFixed(0)} MiB | 192 MiB | ${answers} |`);
  if (run.malformedRefusals > 0) throw new Error(`${run.malformedRefusals} refusals without the JSON Overloaded body`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
