// 100 canaries progressing at once under one `davy step --watch` (the shipped bundle, the
// stepper's identity, debug logs for its "pass done" lines), or under N side by side, each
// `--shard i/N` (stepper-shards.bench.ts): every Deployment gets a new image at
// the same moment (JSON patches, 16 in flight; the webhook holds each), the states are recorded as
// they are written (stepper-watch.ts), and the run ends when every canary is Succeeded again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster } from '../../test/harness/cluster.js';
import { freePort, startProcess } from '../../test/harness/process.js';
import { mapBounded } from '../../src/lib/map-bounded.js';
import { CREATE_CONCURRENCY, appName } from './stepper-fixtures.js';
import { promotedAfter, stepTimings, succeededAt, type StepTiming } from './stepper-lateness.js';
import { BUNDLE_AS_SHIPPED, cleanups } from './stepper-process.js';
import { controlPlanePid, cpuSeconds, machineCpuSeconds } from './cpu.js';
import { peakRssMiB as vmHwmMiB } from './rss.js';
import { StateRecorder } from './stepper-watch.js';

export interface ProgressRound {
  label: string;
  /** The load average when the new revisions were set. */
  load: string;
  /** Canaries the stepper had in reach (the progressing ones plus any idle ones). */
  inReach: number;
  progressing: number;
  intervalMs: number;
  timings: StepTiming[];
  /** Image change answered -> Succeeded, per canary. */
  endToEndMs: number[];
  unfinished: string[];
  passes: PassLine[];
  /** The steppers' own API requests, from their /metrics, by `verb kind`, summed over the shards. */
  requests: Map<string, number>;
  /** Each stepper's peak RSS (VmHWM) at the end of the round, MiB. */
  peakRssMiB: number[];
  /** Where the CPU went from the image changes to the last canary promoted (or the timeout). */
  cpu: RoundCpu;
  /** Each stepper's event-loop delay over its life (prom-client's nodejs_eventloop_lag_*), ms. */
  eventLoopDelayMs: { p99: number; max: number }[];
}

export interface RoundCpu {
  wallSeconds: number;
  /** Cores busy on average over the whole machine, of `cores`. */
  machineBusyCores: number;
  cores: number;
  /** CPU seconds by process: each stepper, the API server and etcd when their pids are known. */
  seconds: { name: string; seconds: number }[];
}

export interface PassLine {
  at: number;
  durationMs: number;
  canaries: number;
  stepped: number;
}

export interface RoundOptions {
  label: string;
  cluster: Cluster;
  kubeconfig: string;
  namespaces: readonly string[];
  perNamespace: number;
  intervalMs: number;
  image: string;
  /** Restrict the stepper to `namespaces` (--namespace); otherwise it steps every namespace. */
  scoped: boolean;
  /** `davy step --concurrency`. */
  concurrency: number;
  /** Steppers side by side, stepper i with `--shard i/N` (default 1: one stepper, no --shard). */
  shards?: number;
  /** `--shard-by` with shards (default canary). */
  shardBy?: 'canary' | 'namespace';
  inReach: number;
  logDir: string;
  timeoutMs: number;
  /** hack/cluster.sh's state directory, to find the API server's and etcd's processes. */
  stateDir?: string;
}

export async function progressRound(o: RoundOptions): Promise<ProgressRound> {
  const recorder = new StateRecorder(o.namespaces);
  await recorder.start(o.cluster.kubeconfig);
  const shards = o.shards ?? 1;
  const steppers = await Promise.all(Array.from({ length: shards }, async (_, i) => {
    const metricsPort = await freePort();
    const logFile = path.join(o.logDir, `stepper-${o.label.replace(/\W+/g, '-')}${shards > 1 ? `-shard-${i}` : ''}.log`);
    // As the CronJob runs it (its node flags and NODE_OPTIONS), but watching.
    const managed = startProcess(BUNDLE_AS_SHIPPED.command, [
      ...BUNDLE_AS_SHIPPED.args, 'step', '--watch', '--kubeconfig', o.kubeconfig, '--mesh-provider', 'kubernetes', '--log-level', 'debug',
      '--metrics-port', String(metricsPort), '--concurrency', String(o.concurrency), ...(o.scoped ? ['--namespace', o.namespaces.join(',')] : []),
      ...(shards > 1 ? ['--shard', `${i}/${shards}`, '--shard-by', o.shardBy ?? 'canary'] : []),
    ], logFile, { ...process.env, ...BUNDLE_AS_SHIPPED.env });
    return { metricsPort, logFile, managed };
  }));
  const stop = async (): Promise<void> => {
    await Promise.all(steppers.map((s) => s.managed.stop()));
  };
  cleanups.add(stop);
  const allPasses = (): PassLine[] => steppers.flatMap((s) => passLines(s.logFile)).sort((a, b) => a.at - b.at);
  try {
    await waitFor(() => steppers.every((s) => passLines(s.logFile).length >= 1), 120_000, 'each stepper\'s first pass');
    const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
    const targets = o.namespaces.flatMap((ns) => Array.from({ length: o.perNamespace }, (_, i) => ({ ns, name: appName(i) })));
    const triggered = new Map<string, number>();
    const cpuAt = cpuMeter([
      ...steppers.map((stepper, i) => ({ name: shards > 1 ? `stepper ${i}` : 'stepper', pid: stepper.managed.child.pid })),
      ...['kube-apiserver', 'etcd'].map((name) => ({ name, pid: o.stateDir ? controlPlanePid(o.stateDir, name) : undefined })),
    ]);
    await mapBounded(targets, CREATE_CONCURRENCY, async ({ ns, name }) => {
      await o.cluster.kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name },
        { type: 'json', ops: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: o.image }] });
      triggered.set(`${ns}/${name}`, Date.now());
    });
    const done = (): boolean => [...triggered].every(([key, at]) => promotedAfter(recorder.latest(key), at));
    await waitFor(done, o.timeoutMs, 'every canary to be promoted').catch(() => undefined);
    const cpu = cpuAt();
    const requests = new Map<string, number>();
    const eventLoopDelayMs: ProgressRound['eventLoopDelayMs'] = [];
    for (const stepper of steppers) {
      const scraped = await scrapeStepper(stepper.metricsPort).catch(() => undefined);
      for (const [key, n] of scraped?.requests ?? []) requests.set(key, (requests.get(key) ?? 0) + n);
      eventLoopDelayMs.push(scraped?.eventLoopDelayMs ?? { p99: Number.NaN, max: Number.NaN });
    }
    const peakRssMiB = steppers.map((s) => vmHwmMiB(s.managed.child.pid));
    const timings: StepTiming[] = [];
    const endToEndMs: number[] = [];
    const unfinished: string[] = [];
    for (const [key, at] of triggered) {
      const states = recorder.states.get(key) ?? [];
      timings.push(...stepTimings(key, states, o.intervalMs, at));
      const end = succeededAt(states.at(-1));
      if (promotedAfter(states.at(-1), at) && end !== undefined) endToEndMs.push(end - at);
      else unfinished.push(`${key} (${states.at(-1)?.phase ?? 'no state'})`);
    }
    const first = Math.min(...triggered.values());
    return {
      label: o.label, load: loadAtStart, inReach: o.inReach, progressing: targets.length, intervalMs: o.intervalMs, timings, endToEndMs, unfinished,
      passes: allPasses().filter((p) => p.at >= first), requests: new Map([...requests].sort(([a], [b]) => a.localeCompare(b))), peakRssMiB,
      cpu, eventLoopDelayMs,
    };
  } finally {
    cleanups.delete(stop);
    await stop();
    recorder.stop();
  }
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The stepper's "pass done" debug lines: when each pass ended, how long it took, what it stepped. */
export function passLines(logFile: string): PassLine[] {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const lines: PassLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"pass done"')) continue;
    try {
      const entry = JSON.parse(line) as { timestamp: string; durationMs: number; canaries: number; stepped?: number };
      lines.push({ at: Date.parse(entry.timestamp), durationMs: entry.durationMs, canaries: entry.canaries, stepped: entry.stepped ?? 0 });
    } catch {
      // a line cut by the stop
    }
  }
  return lines;
}

/** Starts counting CPU now; the function returned says how much each process and the machine used since. */
function cpuMeter(processes: { name: string; pid: number | undefined }[]): () => RoundCpu {
  const startedAt = Date.now();
  const machine = machineCpuSeconds();
  const own = processes.map((p) => cpuSeconds(p.pid));
  return () => {
    const wallSeconds = (Date.now() - startedAt) / 1000;
    const busy = machineCpuSeconds().busy - machine.busy;
    return {
      wallSeconds,
      machineBusyCores: busy / wallSeconds,
      cores: os.cpus().length,
      seconds: processes.map((p, i) => ({ name: p.name, pid: p.pid, seconds: cpuSeconds(p.pid) - own[i]! }))
        .filter((p) => p.pid !== undefined).map(({ name, seconds }) => ({ name, seconds })),
    };
  };
}

/**
 * From the stepper's /metrics: davy_stepper_api_requests_total by `verb kind`, and the event-loop
 * delay prom-client measured since the stepper started (nobody else scrapes it in the bench).
 */
async function scrapeStepper(port: number): Promise<{ requests: Map<string, number>; eventLoopDelayMs: { p99: number; max: number } }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counts = new Map<string, number>();
  const delay = { p99: Number.NaN, max: Number.NaN };
  for (const line of text.split('\n')) {
    const lag = /^nodejs_eventloop_lag_(p99|max)_seconds (\S+)$/.exec(line);
    if (lag) delay[lag[1] as 'p99' | 'max'] = Number(lag[2]) * 1000;
    const m = /^davy_stepper_api_requests_total\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const verb = /verb="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    const kind = /kind="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    counts.set(`${verb} ${kind}`, Number(m[2]));
  }
  return { requests: new Map([...counts].sort(([a], [b]) => a.localeCompare(b))), eventLoopDelayMs: delay };
}
