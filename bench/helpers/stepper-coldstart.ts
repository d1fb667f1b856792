// The stepper's cold start: from spawning `davy step --once` to its first API request, seen by the
// timestamping proxy (stepper-proxy.ts) on this process's clock; the TLS connection that carries
// it opens just before. Each way of starting is warmed once (tsx's transform cache, the page
// cache), then the ways take turns, so drift on the shared host hits them alike. Then where the
// time goes: each module's import time and RSS in a fresh process of its own.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ApiProxy } from './stepper-proxy.js';
import { median } from './stats.js';
import { ROOT, runChild, stepOnceArgs, type Launcher } from './stepper-process.js';

export interface ColdStart {
  launcher: string;
  runs: number;
  connectMs: number[];
  firstRequestMs: number[];
  exitMs: number[];
  rssMiB: number[];
  failures: string[];
}

export async function measureColdStart(launchers: readonly Launcher[], proxy: ApiProxy, kubeconfig: string, runs: number): Promise<ColdStart[]> {
  const results = launchers.map((l): ColdStart => ({ launcher: l.name, runs: 0, connectMs: [], firstRequestMs: [], exitMs: [], rssMiB: [], failures: [] }));
  for (let round = -1; round < runs; round += 1) {
    for (const [i, launcher] of launchers.entries()) {
      proxy.reset();
      const run = await runChild(launcher, stepOnceArgs(kubeconfig));
      if (round < 0) continue; // warm-up
      const result = results[i]!;
      const first = proxy.requests[0];
      const connected = proxy.connections[0];
      if (run.code !== 0 || !first || connected === undefined) {
        result.failures.push(`exit ${run.code}: ${run.stderr.slice(-300)}`);
        continue;
      }
      result.runs += 1;
      result.connectMs.push(connected - run.spawnedAt);
      result.firstRequestMs.push(first.at - run.spawnedAt);
      result.exitMs.push(run.exitedAt - run.spawnedAt);
      if (run.maxRssMiB !== undefined) result.rssMiB.push(run.maxRssMiB);
    }
  }
  return results;
}

export interface ImportCost {
  what: string;
  /** The import, timed inside the process. */
  ms: number;
  /** The whole process, spawn to exit, timed here. */
  processMs: number;
  rssMiB: number;
}

/** What loading costs, each in a fresh `node` (median of `runs`): a bare process, then each module alone. */
export async function importCosts(runs = 3): Promise<ImportCost[]> {
  const dist = (p: string): string => path.join(ROOT, 'dist', p);
  const modules: [string, string | undefined][] = [
    ['node itself (no import)', undefined],
    ['@kubernetes/client-node (the whole package; NodeKubeClient loads it only for exotic kubeconfigs)', '@kubernetes/client-node'],
    ['winston (the logger)', 'winston'],
    ['prom-client (the metrics)', 'prom-client'],
    ['yaml', 'yaml'],
    ['dist/runner/index.js (runner, stepper, routers, api)', dist('runner/index.js')],
    ['dist/kube/node-client.js (the adapter and its credential loader)', dist('kube/node-client.js')],
    ['dist/cli/step.js (everything `davy step` loads)', dist('cli/step.js')],
  ];
  const costs: ImportCost[] = [];
  for (const [what, specifier] of modules) {
    const samples: { ms: number; rss: number; wall: number }[] = [];
    for (let i = 0; i < runs; i += 1) {
      const began = performance.now();
      const sample = await importOnce(specifier);
      samples.push({ ...sample, wall: performance.now() - began });
    }
    costs.push({ what, ms: median(samples.map((s) => s.ms)), processMs: median(samples.map((s) => s.wall)), rssMiB: median(samples.map((s) => s.rss)) });
  }
  return costs;
}

function importOnce(specifier: string | undefined): Promise<{ ms: number; rss: number }> {
  const script = [
    'const t = performance.now();',
    specifier ? `await import(${JSON.stringify(specifier)});` : '',
    'process.stdout.write(JSON.stringify({ ms: performance.now() - t, rss: process.memoryUsage().rss / 1048576 }));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`importing ${specifier ?? 'nothing'} failed (${code})`));
      else resolve(JSON.parse(out) as { ms: number; rss: number });
    });
  });
}
