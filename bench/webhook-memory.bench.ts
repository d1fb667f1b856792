// The webhook's peak RSS under 100 concurrent ~4 MB reviews, against three quarters of its pod's
// 256Mi limit (deploy/webhook/base/deployment.yaml). Prints a Markdown table for BENCHMARKS.md;
// memory is measured and reported, never asserted here (test/integration/webhook-memory.test.ts
// holds the bound).
// Run: npx tsx bench/webhook-memory.bench.ts [--concurrency N]
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { measureWebhookMemory } from './helpers/webhook-memory.js';

const flag = process.argv.indexOf('--concurrency');
const concurrency = flag > 0 ? Number(process.argv[flag + 1]) : 100;
const dir = await mkdtemp(join(tmpdir(), 'davy-memory-bench-'));
try {
  await promisify(execFile)(fileURLToPath(new URL('../certs/generate.sh', import.meta.url)), ['--out', dir, '--san', 'IP:127.0.0.1']);
  const certs = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: await readFile(join(dir, 'ca.crt')) };
  const run = await measureWebhookMemory(certs, concurrency);
  console.log('| reviews at once | body | idle RSS | peak RSS | budget (3/4 of 256Mi) | answers |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const answers = Object.entries(run.statuses).map(([status, n]) => `${n} × ${status}`).join(', ');
  console.log(`| ${concurrency} | ${(run.bodyBytes / 1e6).toFixed(2)} MB | ${run.idleRssMiB.toFixed(0)} MiB | ${run.peakRssMiB.toFixed(0)} MiB | 192 MiB | ${answers} |`);
  if (run.malformedRefusals > 0) throw new Error(`${run.malformedRefusals} refusals without the JSON Overloaded body`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
