// The stepper benchmark's Markdown: one table per measurement, each figure next to its target.
import os from 'node:os';
import type { ColdStart, ImportCost } from './stepper-coldstart.js';
import type { IdleInProcess, IdleProcess, IdleWatch } from './stepper-idle.js';
import type { ProgressRound } from './stepper-progress.js';
import { median, percentile } from './stats.js';

const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
const mib = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
const max = (values: readonly number[]): number => (values.length ? Math.max(...values) : Number.NaN);
const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const verdict = (met: boolean): string => (met ? 'met' : '**missed**');

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} vCPU (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

/** A section title and the load average(s) its measurements started under. */
export function heading(title: string, loads = `at the start: ${load()}`): void {
  out();
  out(`### ${title}`);
  out();
  out(`1/5/15-minute load average ${loads}`);
  out();
}

export interface IdleSize {
  /** The load average when its measurement started. */
  load: string;
  inProcess: IdleInProcess;
  process: IdleProcess;
  namespaces: number;
}

export function idleTables(sizes: readonly IdleSize[]): void {
  out('| canaries | namespaces | `runPass` in-process, ms: first / median / max | `davy step --once` (bin/davy.js), ms: median / max | its peak RSS, MiB | requests per pass: in-process (process) | writes | outcomes |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sizes) {
    const p = s.inProcess;
    const shipped = s.process.runs[0];
    const outcomes = [...p.outcomes].map(([k, n]) => `${k} ${n / p.passMs.length}`).join(', ');
    out(`| ${p.canaries} | ${s.namespaces} | ${ms(p.firstPassMs)} / ${ms(median(p.passMs))} / ${ms(max(p.passMs))} | ${ms(median(shipped?.wallMs ?? []))} / ${ms(max(shipped?.wallMs ?? []))} | ${mib(max(shipped?.rssMiB ?? []))} | ${sum(p.perPass[0] ?? new Map())} (${sum(s.process.requests)}) | ${p.writes + processWrites(s)} | ${outcomes} |`);
  }
  out();
  requestTable(sizes);
  launcherTable(sizes);
  const big = sizes.at(-1);
  if (!big) return;
  const reads = sizes.map((s) => sum(s.inProcess.perPass[0] ?? new Map()));
  const shipped = big.process.runs[0];
  out(`- reads per pass: ${reads.join(' and ')} for ${sizes.map((s) => s.inProcess.canaries).join(' and ')} canaries in ${big.namespaces} namespaces (target: a constant per namespace and kind: ${verdict(new Set(reads).size === 1)})`);
  out(`- writes in idle passes: ${sizes.map((s) => s.inProcess.writes + processWrites(s)).join(' and ')} (target 0: ${verdict(sizes.every((s) => s.inProcess.writes + processWrites(s) === 0))})`);
  out(`- ${big.inProcess.canaries} idle canaries: \`davy step --once\` ${ms(median(shipped?.wallMs ?? []))} ms median, ${ms(max(shipped?.wallMs ?? []))} ms max; one runPass ${ms(median(big.inProcess.passMs))} ms (target < 5000 ms: ${verdict(max(shipped?.wallMs ?? []) < 5000)})`);
  out(`- peak RSS at ${big.inProcess.canaries}: ${mib(max(shipped?.rssMiB ?? []))} MiB = ${(max(shipped?.rssMiB ?? []) * 1.048576).toFixed(0)} MB (target < 150 MB: ${verdict(max(shipped?.rssMiB ?? []) * 1.048576 < 150)})`);
}

/** A watching stepper left alone over idle canaries, with and without its watches, as ratios of the first row. */
export function idleWatchTable(canaries: number, runs: readonly IdleWatch[]): void {
  const base = runs[0];
  if (!base) return;
  const keys = [...new Set(runs.flatMap((r) => [...r.requests.keys()]))].sort();
  const ratio = (v: number, b: number): string => (b > 0 ? `${(v / b).toFixed(2)}x` : 'n/a');
  out(`| ${canaries} idle canaries, ${base.seconds} s | whole passes | requests | CPU s | peak RSS MiB | ${keys.join(' | ')} |`);
  out(`| --- | --- | --- | --- | --- | ${keys.map(() => '---').join(' | ')} |`);
  for (const r of runs) {
    out(`| ${r.label} | ${r.wholePasses} | ${sum(r.requests)} | ${r.cpuSeconds.toFixed(1)} | ${mib(r.peakRssMiB)} | ${keys.map((k) => r.requests.get(k) ?? 0).join(' | ')} |`);
  }
  out();
  for (const r of runs.slice(1)) {
    out(`- ${r.label} / ${base.label}: requests ${ratio(sum(r.requests), sum(base.requests))}, CPU ${ratio(r.cpuSeconds, base.cpuSeconds)}, peak RSS ${ratio(r.peakRssMiB, base.peakRssMiB)}`);
  }
  out();
}

function processWrites(s: IdleSize): number {
  return sum(new Map([...s.process.requests].filter(([k]) => !/^(GET|LIST) /.test(k))));
}

function requestTable(sizes: readonly IdleSize[]): void {
  const keys = [...new Set(sizes.flatMap((s) => [...(s.inProcess.perPass[0]?.keys() ?? []), ...s.process.requests.keys()]))].sort();
  out(`| request | ${sizes.map((s) => `${s.inProcess.canaries}: per pass, in-process (process) | ${s.inProcess.canaries}: per canary`).join(' | ')} |`);
  out(`| --- | ${sizes.map(() => '--- | ---').join(' | ')} |`);
  for (const key of keys) {
    const cells = sizes.map((s) => {
      const n = s.inProcess.perPass[0]?.get(key) ?? 0;
      const varied = s.inProcess.perPass.some((pp) => (pp.get(key) ?? 0) !== n) ? ' (varied)' : '';
      return `${n}${varied} (${s.process.requests.get(key) ?? 0}) | ${(n / Math.max(1, s.inProcess.canaries)).toFixed(3)}`;
    });
    out(`| ${key} | ${cells.join(' | ')} |`);
  }
  out();
}

function launcherTable(sizes: readonly IdleSize[]): void {
  out(`| \`davy step --once\` started as | ${sizes.map((s) => `${s.inProcess.canaries}: ms median / max | ${s.inProcess.canaries}: peak RSS MiB`).join(' | ')} |`);
  out(`| --- | ${sizes.map(() => '--- | ---').join(' | ')} |`);
  for (const [i, first] of (sizes[0]?.process.runs ?? []).entries()) {
    const cells = sizes.map((s) => {
      const r = s.process.runs[i];
      return `${ms(median(r?.wallMs ?? []))} / ${ms(max(r?.wallMs ?? []))} | ${mib(max(r?.rssMiB ?? []))}`;
    });
    out(`| ${first.launcher} | ${cells.join(' | ')} |`);
  }
  out();
}

export function latenessTable(rounds: readonly ProgressRound[]): void {
  out('| round | canaries in reach / progressing | interval | periodic steps | lateness p50 / p99 / max, ms | new revision seen after, ms: p50 / p99 / max | steps after a wait on the cluster (max ms) | image change to Succeeded, s: p50 / max | passes during the run: count, median / max ms |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rounds) {
    const periodic = r.timings.filter((t) => t.kind === 'periodic').map((t) => t.ms);
    const seen = r.timings.filter((t) => t.kind === 'newRevision').map((t) => t.ms);
    const waited = r.timings.filter((t) => t.kind === 'afterWait').map((t) => t.ms);
    const passes = r.passes.map((p) => p.durationMs);
    out(`| ${r.label} | ${r.inReach} / ${r.progressing} | ${r.intervalMs / 1000}s | ${periodic.length} | ${ms(percentile(periodic, 50))} / ${ms(percentile(periodic, 99))} / ${ms(max(periodic))} | ${ms(percentile(seen, 50))} / ${ms(percentile(seen, 99))} / ${ms(max(seen))} | ${waited.length} (${ms(max(waited))}) | ${(percentile(r.endToEndMs, 50) / 1000).toFixed(1)} / ${(max(r.endToEndMs) / 1000).toFixed(1)} | ${passes.length}, ${ms(median(passes))} / ${ms(max(passes))} |`);
  }
  out();
  for (const r of rounds) {
    const periodic = r.timings.filter((t) => t.kind === 'periodic').map((t) => t.ms);
    out(`- ${r.label}: p99 lateness ${ms(percentile(periodic, 99))} ms (target < 1000 ms: ${verdict(percentile(periodic, 99) < 1000)})${r.unfinished.length ? `; not promoted in time: ${r.unfinished.length} (${r.unfinished.slice(0, 5).join(', ')})` : ''}`);
    out(`  - the stepper's API requests over the whole round: ${[...r.requests].map(([k, n]) => `${k} ${n}`).join(', ') || 'n/a'}`);
    const byStep = new Map<string, number[]>();
    for (const t of r.timings.filter((x) => x.kind === 'periodic')) byStep.set(`${t.from} -> ${t.to}`, [...(byStep.get(`${t.from} -> ${t.to}`) ?? []), t.ms]);
    out(`  - lateness by step, p50 / max ms: ${[...byStep].map(([k, v]) => `${k}: ${ms(median(v))} / ${ms(max(v))}`).join('; ')}`);
    const { cpu } = r;
    out(`  - CPU from the image changes to the last promotion (${cpu.wallSeconds.toFixed(0)} s): the machine ${cpu.machineBusyCores.toFixed(2)} of ${cpu.cores} cores busy on average; ${cpu.seconds.map((p) => `${p.name} ${p.seconds.toFixed(1)} s (${(p.seconds / cpu.wallSeconds).toFixed(2)} cores)`).join(', ')}`);
    out(`  - event-loop delay per stepper over its life, p99 / max ms: ${r.eventLoopDelayMs.map((d) => `${ms(d.p99)} / ${ms(d.max)}`).join(', ')}`);
  }
}

export function coldStartTables(results: readonly ColdStart[], costs: readonly ImportCost[]): void {
  out('| started as | runs | TLS connection opened, ms: median | first API request, ms: median / min / max | process exit, ms: median | peak RSS, MiB |');
  out('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const failed = r.failures.length ? ` (${r.failures.length} failed: ${r.failures[0]?.slice(0, 80) ?? ''})` : '';
    out(`| ${r.launcher} | ${r.runs}${failed} | ${ms(median(r.connectMs))} | ${ms(median(r.firstRequestMs))} / ${ms(Math.min(...r.firstRequestMs))} / ${ms(max(r.firstRequestMs))} | ${ms(median(r.exitMs))} | ${mib(max(r.rssMiB))} |`);
  }
  out();
  for (const r of results) out(`- ${r.launcher}: ${ms(median(r.firstRequestMs))} ms to the first request (target < 300 ms: ${verdict(median(r.firstRequestMs) < 300)})`);
  out();
  out('Where the start-up goes: each module imported alone in a fresh `node` (median of 3):');
  out();
  out('| imported | import, ms | whole process, ms | RSS after, MiB |');
  out('| --- | --- | --- | --- |');
  for (const c of costs) out(`| ${c.what} | ${ms(c.ms)} | ${ms(c.processMs)} | ${mib(c.rssMiB)} |`);
}

export interface HistoryRow {
  label: string;
  /** The Canaries' mean size after their histories were filled (NaN: left as they were). */
  canaryBytes: number;
  wallMs: number[];
  rssMiB: number[];
}

export function historyTable(rows: readonly HistoryRow[]): void {
  out('| canaries\' state | mean Canary, bytes | wall ms: median / max | peak RSS MiB: median / max |');
  out('| --- | ---: | --- | --- |');
  for (const r of rows) {
    out(`| ${r.label} | ${Number.isNaN(r.canaryBytes) ? 'as created' : r.canaryBytes.toFixed(0)} | ${ms(median(r.wallMs))} / ${ms(max(r.wallMs))} | ${mib(median(r.rssMiB))} / ${mib(max(r.rssMiB))} |`);
  }
  out();
}
