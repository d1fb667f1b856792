// A pass over idle canaries (Initialized, nothing pending), two ways:
//   - in-process: runPass with a NodeKubeClient whose onRequest counts requests by verb and kind;
//     the first pass on a fresh client (new connections) apart, then `passes` more;
//   - a whole `davy step --once` process (the shipped bundle, then the unbundled tsc output),
//     spawn to exit, with its peak RSS;
//     once more through the counting proxy for its requests;
//   - a `davy step --watch` left alone for a while, with watches and without (idleWatch).
import fs from 'node:fs';
import path from 'node:path';
import { runPass, type PassReport } from '../../src/runner/index.js';
import { peakRssMiB } from './rss.js';
import { cpuSeconds } from './cpu.js';
import { startShippedStepper } from './side-by-side.js';
import { runnerDeps } from './stepper-fixtures.js';
import type { ApiProxy } from './stepper-proxy.js';
import { tally } from './stepper-proxy.js';
import { BUNDLE, runChild, stepOnceArgs, type Launcher } from './stepper-process.js';

const READS = new Set(['GET', 'LIST']);

export interface IdleInProcess {
  canaries: number;
  firstPassMs: number;
  passMs: number[];
  /** Requests of each measured pass, by `verb kind`; identical passes are expected. */
  perPass: Map<string, number>[];
  /** Canary outcomes over the measured passes, and how many canaries were due for a periodic step. */
  outcomes: Map<string, number>;
  due: number;
  writes: number;
}

export async function idleInProcess(kubeconfig: string, passes: number): Promise<IdleInProcess> {
  let current: { verb: string; kind: string }[] = [];
  const { deps, client } = runnerDeps(kubeconfig, (verb, kind) => current.push({ verb, kind }));
  const options = { meshProvider: 'kubernetes' as const };
  try {
    let began = performance.now();
    const first = await runPass(deps, options);
    const firstPassMs = performance.now() - began;
    const passMs: number[] = [];
    const perPass: Map<string, number>[] = [];
    const outcomes = new Map<string, number>();
    let due = 0;
    let writes = 0;
    for (let i = 0; i < passes; i += 1) {
      current = [];
      began = performance.now();
      const report = await runPass(deps, options);
      passMs.push(performance.now() - began);
      perPass.push(tally(current));
      writes += current.filter((r) => !READS.has(r.verb)).length;
      due += dueCount(report);
      for (const c of report.canaries) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
    }
    return { canaries: first.canaries.length, firstPassMs, passMs, perPass, outcomes, due: due / passes, writes };
  } finally {
    client.close();
  }
}

/** Canaries whose periodic step was due at the pass (their interval had passed): step() ran for them. */
function dueCount(report: PassReport): number {
  const at = Date.parse(report.startedAt);
  return report.canaries.filter((c) => c.due !== undefined && Date.parse(c.due) <= at).length;
}

export interface LauncherRuns {
  launcher: string;
  wallMs: number[];
  rssMiB: number[];
}

export interface IdleProcess {
  /** The shipped bundle first, then the others. */
  runs: LauncherRuns[];
  /** The bundle through the proxy: requests by `verb kind`, and spawn to first request. */
  requests: Map<string, number>;
  firstRequestMs: number;
  proxiedWallMs: number;
}

/** `davy step --once` over the idle canaries: each launcher `runs` times, taking turns; then the bundle once through the proxy. */
export async function idleProcess(launchers: readonly Launcher[], kubeconfig: string, viaProxy: string, proxy: ApiProxy, runs: number): Promise<IdleProcess> {
  const results = launchers.map((l): LauncherRuns => ({ launcher: l.name, wallMs: [], rssMiB: [] }));
  for (let i = 0; i < runs; i += 1) {
    for (const [index, launcher] of launchers.entries()) {
      const run = await runChild(launcher, stepOnceArgs(kubeconfig));
      if (run.code !== 0) throw new Error(`${launcher.name}: davy step --once exited ${run.code}: ${run.stderr}`);
      results[index]!.wallMs.push(run.exitedAt - run.spawnedAt);
      if (run.maxRssMiB !== undefined) results[index]!.rssMiB.push(run.maxRssMiB);
    }
  }
  proxy.reset();
  const run = await runChild(BUNDLE, stepOnceArgs(viaProxy));
  if (run.code !== 0) throw new Error(`davy step --once (proxied) exited ${run.code}: ${run.stderr}`);
  return {
    runs: results,
    requests: tally(proxy.requests),
    firstRequestMs: (proxy.requests[0]?.at ?? Number.NaN) - run.spawnedAt,
    proxiedWallMs: run.exitedAt - run.spawnedAt,
  };
}

/** One `davy step --watch` left alone over idle canaries for a while, as the CronJob's flags start it. */
export interface IdleWatch {
  label: string;
  seconds: number;
  /** By `verb kind`, as the proxy saw them (a watch is WATCH). */
  requests: Map<string, number>;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Whole passes, from the log's "pass done" lines without `namespaces`. */
  wholePasses: number;
}

/**
 * The idle cost of a watching stepper, over `seconds` after its first pass: each label's extra
 * flags (`--resync-period 0` for passes at the poll interval alone), one after the other.
 */
export async function idleWatch(
  runs: readonly { label: string; args: string[] }[], viaProxy: string, proxy: ApiProxy, seconds: number, logDir: string,
): Promise<IdleWatch[]> {
  const results: IdleWatch[] = [];
  for (const [i, run] of runs.entries()) {
    proxy.reset();
    const log = path.join(logDir, `idle-watch-${i}.log`);
    const stepper = startShippedStepper(viaProxy, log, ['--log-level', 'debug', ...run.args]);
    try {
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const pid = stepper.child.pid;
      const [cpu, rss] = [cpuSeconds(pid), peakRssMiB(pid)];
      const requests = tally(proxy.requests);
      await stepper.stop();
      const passes = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"pass done"') && !l.includes('"namespaces"')).length;
      results.push({ label: run.label, seconds, requests, cpuSeconds: cpu, peakRssMiB: rss, wholePasses: passes });
    } finally {
      await stepper.stop();
    }
  }
  return results;
}
