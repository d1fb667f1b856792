// 10,000 canaries over sharded steppers (issue 15, item 4), on kwok. Prints Markdown for
// BENCHMARKS.md; figures are measured and written down, never asserted.
//
//   1. for each size (idle, Initialized canaries spread over 50 namespaces, created cumulatively):
//      one `davy step --once` over all of them, then N at once, stepper i with `--shard i/N` (as
//      the Indexed Job of deploy/stepper/sharded runs them), sharded by canary and then by
//      namespace, each through its own counting proxy: wall time, peak RSS, requests, and the
//      canaries in its shard. The rows are the cost curve.
//   2. at the largest size, 500 more canaries progressing at once among the idle ones, under N
//      `davy step --watch --shard i/N`: each step's lateness, pass times, requests, RSS per shard,
//      and where the machine's CPU went. `--round-shards 1,4` runs one round per count, one after
//      the other on the same cluster (1: one stepper, no --shard), to tell the shards' own cost
//      on this machine's cores from the round's.
//
// Run: hack/with-cluster.sh tsx bench/stepper-shards.bench.ts [--sizes 1000,2500,5000,10000]
//        [--shards 4] [--round-shards 4] [--namespaces 50] [--progressing 500]
//      (make bench runs it after `make build`; about 40 minutes at the default sizes on 2 cores)
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, shardOf } from '../src/runner/pass.js';
import type { ShardKey } from '../src/runner/types.js';
import { addKwokNode, appName, bootstrap, createApps, settle } from './helpers/stepper-fixtures.js';
import { progressRound } from './helpers/stepper-progress.js';
import { startBenchEnvironment } from './helpers/stepper-env.js';
import { BUNDLE_AS_SHIPPED, runChild, stepOnceArgs, type ChildRun } from './helpers/stepper-process.js';
import { kubeconfigVia, startApiProxy, tally, type ApiProxy } from './helpers/stepper-proxy.js';
import { heading, latenessTable, load } from './helpers/stepper-report.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,2500,5000,10000' },
    shards: { type: 'string', default: '4' },
    'round-shards': { type: 'string' },
    namespaces: { type: 'string', default: '50' },
    progressing: { type: 'string', default: '500' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const SHARDS = Number(values.shards);
const ROUND_SHARDS = (values['round-shards'] ?? values.shards).split(',').map(Number);
const IDLE_NS = Array.from({ length: Number(values.namespaces) }, (_, i) => `idle-${i}`);
const PROG_NS = Array.from({ length: 10 }, (_, i) => `prog-${i}`);
const PROGRESSING = Number(values.progressing);
const SHAPE = { intervalSeconds: 10, iterations: 5 };
/** Pods a kwok node takes (stepper-fixtures' addKwokNode). */
const PODS_PER_NODE = 1000;
const READS = new Set(['GET', 'LIST', 'WATCH']);

const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};
const log = (text: string): void => {
  process.stderr.write(`[shards-bench] ${new Date().toISOString()} ${text} (load ${load()})\n`);
};

/** One `davy step --once` process through its proxy: what it cost. */
interface OnceRun {
  label: string;
  canaries: number;
  wallMs: number;
  rssMiB: number;
  requests: Map<string, number>;
}

const SHARD_KEYS: readonly ShardKey[] = ['canary', 'namespace'];

interface SizeResult {
  size: number;
  load: string;
  whole: OnceRun;
  shards: Record<ShardKey, OnceRun[]>;
}

/** Starts `davy step --once` through `proxy` now; the function returned waits for it and says what it cost. */
function once(label: string, canaries: number, proxy: ApiProxy, kubeconfig: string, extra: string[]): () => Promise<OnceRun> {
  proxy.reset();
  const started = runChild(BUNDLE_AS_SHIPPED, stepOnceArgs(kubeconfig, extra));
  return async () => {
    const run: ChildRun = await started;
    if (run.code !== 0) throw new Error(`${label}: davy step --once exited ${run.code}: ${run.stderr}`);
    return { label, canaries, wallMs: run.exitedAt - run.spawnedAt, rssMiB: run.maxRssMiB ?? Number.NaN, requests: tally(proxy.requests) };
  };
}

/** How many of the first `perNs` apps of each idle namespace fall in each shard. */
function shardSizes(perNs: number, by: ShardKey): number[] {
  const sizes = Array.from({ length: SHARDS }, () => 0);
  for (const ns of IDLE_NS) for (let i = 0; i < perNs; i += 1) sizes[shardOf(ns, appName(i), SHARDS, by)]! += 1;
  return sizes;
}

const count = (m: ReadonlyMap<string, number>, pick: (key: string) => boolean): number =>
  [...m].filter(([key]) => pick(key)).reduce((n, [, v]) => n + v, 0);
const reads = (m: ReadonlyMap<string, number>): number => count(m, (k) => READS.has(k.split(' ')[0]!));
const writes = (m: ReadonlyMap<string, number>): number => count(m, (k) => !READS.has(k.split(' ')[0]!));
const fixed = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function report(results: readonly SizeResult[]): void {
  heading(`Idle passes over ${SIZES.join(', ')} canaries in ${IDLE_NS.length} namespaces: one stepper, then ${SHARDS} shards at once`,
    results.map((r) => `at ${r.size}: ${r.load}`).join('; '));
  out('| canaries | stepper | canaries in its shard | `davy step --once`, ms | peak RSS, MiB | reads | writes |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    for (const run of [r.whole, ...SHARD_KEYS.flatMap((by) => r.shards[by])]) {
      out(`| ${r.size} | ${run.label} | ${run.canaries} | ${fixed(run.wallMs)} | ${fixed(run.rssMiB)} | ${reads(run.requests)} | ${writes(run.requests)} |`);
    }
  }
  out();
  out(`The cost curve (${SHARDS} shards: the slowest and the largest of them; requests summed over the shards):`);
  out();
  out(`| canaries | one stepper: ms / MiB / requests | ${SHARDS} shards by canary: slowest ms / largest MiB / requests | by namespace: slowest ms / largest MiB / requests | ms per 1,000 canaries, one stepper |`);
  out('| --- | --- | --- | --- | --- |');
  const cell = (runs: readonly OnceRun[]): string => {
    const requests = runs.reduce((n, s) => n + reads(s.requests) + writes(s.requests), 0);
    return `${fixed(Math.max(...runs.map((s) => s.wallMs)))} / ${fixed(Math.max(...runs.map((s) => s.rssMiB)))} / ${requests}`;
  };
  for (const r of results) {
    out(`| ${r.size} | ${cell([r.whole])} | ${cell(r.shards.canary)} | ${cell(r.shards.namespace)} | ${fixed((r.whole.wallMs * 1000) / r.size)} |`);
  }
}

const { env, work, kubeconfig, server, pki } = await startBenchEnvironment('shards-bench');
const { cluster } = env;
const proxies: ApiProxy[] = [];
try {
  for (let i = 0; i <= SHARDS; i += 1) proxies.push(await startApiProxy(server, pki));
  const viaProxy = proxies.map((p, i) => kubeconfigVia(kubeconfig, p.url, path.join(work, `stepper-via-proxy-${i}.kubeconfig`)));
  // Pods: one per idle app, and a target and a copy per progressing one, on nodes of 1,000 pods.
  const pods = Math.max(...SIZES) + 2 * PROGRESSING;
  for (let i = 1; i <= Math.ceil(pods / PODS_PER_NODE); i += 1) await addKwokNode(cluster, `kwok-node-${i}`);

  const results: SizeResult[] = [];
  let made = 0;
  for (const size of SIZES) {
    const perNs = Math.ceil(size / IDLE_NS.length);
    const total = perNs * IDLE_NS.length;
    log(`creating apps ${made}..${perNs - 1} in ${IDLE_NS.length} namespaces`);
    await createApps(cluster, IDLE_NS, made, perNs, SHAPE);
    made = perNs;
    const boot = await bootstrap(kubeconfig, IDLE_NS, total, 3_600_000);
    log(`${total} canaries Initialized: ${boot.passes} passes, ${boot.seconds.toFixed(0)} s`);
    log(`the controllers caught up after ${(await settle(cluster, log, 3_600_000)).toFixed(0)} s more`);
    // Every canary's interval passes, so each measured pass runs step() for all of them.
    await new Promise((resolve) => setTimeout(resolve, SHAPE.intervalSeconds * 1000));
    const loadAtStart = load();
    const whole = await once('one stepper', total, proxies[SHARDS]!, viaProxy[SHARDS]!, [])();
    const shards = { canary: [], namespace: [] } as Record<ShardKey, OnceRun[]>;
    for (const by of SHARD_KEYS) {
      const pending = shardSizes(perNs, by).map((n, i) =>
        once(`shard ${i}/${SHARDS} by ${by}`, n, proxies[i]!, viaProxy[i]!, ['--shard', `${i}/${SHARDS}`, '--shard-by', by]));
      shards[by] = await Promise.all(pending.map((finish) => finish()));
      log(`${total}: one stepper ${whole.wallMs.toFixed(0)} ms, ${whole.rssMiB.toFixed(0)} MiB; by ${by}: ${shards[by].map((s) => `${s.wallMs.toFixed(0)} ms ${s.rssMiB.toFixed(0)} MiB`).join(', ')}`);
    }
    results.push({ size: total, load: loadAtStart, whole, shards });
  }
  report(results);

  if (PROGRESSING > 0) {
    const perNs = Math.ceil(PROGRESSING / PROG_NS.length);
    log(`creating ${perNs * PROG_NS.length} progressing apps`);
    await createApps(cluster, PROG_NS, 0, perNs, SHAPE);
    await bootstrap(kubeconfig, PROG_NS, perNs * PROG_NS.length, 3_600_000);
    await settle(cluster, log, 3_600_000);
    const inReach = perNs * PROG_NS.length + made * IDLE_NS.length;
    for (const [i, count] of ROUND_SHARDS.entries()) {
      if (i > 0) await settle(cluster, log, 3_600_000);
      const label = count > 1
        ? `${count} shards by namespace over every namespace, --concurrency ${DEFAULT_CONCURRENCY} (the default)`
        : `one stepper over every namespace, --concurrency ${DEFAULT_CONCURRENCY} (the default)`;
      log(`progressing: ${label}`);
      const round = await progressRound({
        label, cluster, kubeconfig, namespaces: PROG_NS, perNamespace: perNs, intervalMs: SHAPE.intervalSeconds * 1000,
        image: `ghcr.io/stefanprodan/podinfo:6.2.${i}`, scoped: false, concurrency: DEFAULT_CONCURRENCY, shards: count, shardBy: 'namespace',
        inReach, logDir: work, timeoutMs: 1_200_000, stateDir: env.stateDir,
      });
      heading(`${perNs * PROG_NS.length} canaries progressing at once among ${inReach} (blue/green, ${SHAPE.iterations} iterations, ${SHAPE.intervalSeconds}s interval), ${count > 1 ? `${count} \`davy step --watch --shard i/${count}\`` : 'one `davy step --watch`'}`,
        `when the images were set: ${round.load}`);
      latenessTable([round]);
      out(`  - peak RSS per ${count > 1 ? 'shard' : 'stepper'}, MiB: ${round.peakRssMiB.map((v) => fixed(v)).join(', ')}`);
    }
  }
} finally {
  await Promise.all(proxies.map((p) => p.close()));
  await env.stop();
}
