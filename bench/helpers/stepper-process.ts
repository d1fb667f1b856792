// `davy step` as a child process: the ways it is started (the shipped bundle, the unbundled tsc
// output, tsx), timed from this process's clock, with its peak RSS from GNU time when the host
// has /usr/bin/time (wait4's ru_maxrss of the child, which includes its own children).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shippedNodeFlags, shippedNodeOptions } from './webhook-memory.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const GNU_TIME = '/usr/bin/time';

export interface Launcher {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** What Davy ships and runs: bin/davy.js, the CLI bundled by `make build` (hack/build.sh). */
export const BUNDLE: Launcher = { name: 'node bin/davy.js (the esbuild bundle, no node flags)', command: process.execPath, args: [path.join(ROOT, 'bin/davy.js')] };
/**
 * The bundle as the CronJob runs it: deploy/stepper/cronjob.yaml's node flags and NODE_OPTIONS
 * (--heap-growing-percent=50, --max-semi-space-size=2). DAVY_BENCH_NODE_OPTIONS and
 * DAVY_BENCH_NODE_FLAGS measure others in this row instead.
 */
export const BUNDLE_AS_SHIPPED: Launcher = (() => {
  const cronJob = 'deploy/stepper/cronjob.yaml';
  const options = process.env.DAVY_BENCH_NODE_OPTIONS ?? shippedNodeOptions(cronJob);
  const flags = process.env.DAVY_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? shippedNodeFlags(cronJob);
  return {
    name: `node ${[...flags, 'bin/davy.js'].join(' ')}, NODE_OPTIONS=${options} (as the CronJob runs it)`,
    command: process.execPath, args: [...flags, ...BUNDLE.args], env: { NODE_OPTIONS: options },
  };
})();
/**
 * Another build of the CLI bundle to compare with, e.g. the main branch's (DAVY_BENCH_BASELINE=path
 * to its davy.js): measured in the same run, so a before and after share the machine's load.
 */
export const BASELINE: Launcher | undefined = process.env.DAVY_BENCH_BASELINE
  ? { name: `node ${process.env.DAVY_BENCH_BASELINE} (baseline)`, command: process.execPath, args: [path.resolve(process.env.DAVY_BENCH_BASELINE)] }
  : undefined;
/** The same code compiled by tsc, one module per file, node_modules resolved at run time. */
export const DIST: Launcher = { name: 'node dist/cli/index.js (tsc output, not bundled)', command: process.execPath, args: [path.join(ROOT, 'dist/cli/index.js')] };
/** The sources through tsx, as a developer runs them. */
export const TSX_CLI: Launcher = { name: 'tsx src/cli/index.ts', command: path.join(ROOT, 'node_modules/.bin/tsx'), args: [path.join(ROOT, 'src/cli/index.ts')] };

/** What must be stopped if the benchmark is interrupted (SIGINT, SIGTERM). */
export const cleanups = new Set<() => Promise<void>>();

export function requireBuild(): void {
  for (const file of [DIST.args[0]!, path.join(ROOT, 'dist/bundle/davy.js')]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`make build\` (make bench does) first`);
  }
}

export interface ChildRun {
  code: number;
  /** performance.now() just before spawn and at exit. */
  spawnedAt: number;
  exitedAt: number;
  /** Peak RSS in MiB, when GNU time is installed. */
  maxRssMiB?: number;
  stderr: string;
}

const hasGnuTime = fs.existsSync(GNU_TIME);

/** Runs `launcher <args>` to completion. */
export async function runChild(launcher: Launcher, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  const rssFile = path.join(os.tmpdir(), `davy-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [command, argv] = hasGnuTime
    ? [GNU_TIME, ['-o', rssFile, '-f', '%M', launcher.command, ...launcher.args, ...args]]
    : [launcher.command, [...launcher.args, ...args]];
  const spawnedAt = performance.now();
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...launcher.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c ?? -1));
  });
  const exitedAt = performance.now();
  let maxRssMiB: number | undefined;
  if (hasGnuTime) {
    const text = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
    fs.rmSync(rssFile, { force: true });
    maxRssMiB = Number(text) / 1024;
    if (!Number.isFinite(maxRssMiB)) maxRssMiB = undefined;
  }
  return { code, spawnedAt, exitedAt, ...(maxRssMiB === undefined ? {} : { maxRssMiB }), stderr };
}

/** `davy step --once` arguments for the benchmark's stepper identity. */
export function stepOnceArgs(kubeconfig: string, extra: string[] = []): string[] {
  return ['step', '--once', '--kubeconfig', kubeconfig, '--mesh-provider', 'kubernetes', '--log-level', 'warn', ...extra];
}
