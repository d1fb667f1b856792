// The stepper at scale, on the local control plane (issue 6, item 5). Prints Markdown for
// BENCHMARKS.md; figures are measured and written down, never asserted.
//
//   1. cold start: spawn `davy step --once` -> its first API request (the shipped bundle, the
//      unbundled tsc output, tsx);
//   2. idle passes over 100, then 1,000 Initialized canaries in 10 namespaces: wall time of one
//      runPass in-process and of a whole `davy step --once`, requests by verb and kind, writes,
//      the process's peak RSS;
//   3. a `davy step --watch` left alone over the largest size's idle canaries, with passes at the
//      poll interval alone (`--resync-period 0`) and then with its watches: requests, CPU, RSS;
//   4. (not with --histories off) `davy step --once` over the same idle canaries once each carries a full
//      check history (the OSM tutorial's after two rollouts), with each query kept once, then
//      repeated as the stepper kept them before: what a real canary's state costs a pass;
//   5. 100 canaries progressing at once under one `davy step --watch`: each step's lateness
//      against its interval, with the stepper scoped to their namespaces and then with the 1,000
//      idle canaries in reach too, each at the default --concurrency 4 and at 16.
//
// Run: hack/with-cluster.sh tsx bench/stepper-scale.bench.ts [--sizes 100,1000] [--runs 5]
//        [--progressing 100] [--rounds scoped-4,scoped-16,all-4,all-16] [--dump FILE]
//        [--idle-watch-seconds 120] [--histories on|off]
//      DAVY_BENCH_BASELINE=other/davy.js adds that build to the idle `davy step --once` runs.
//      (make bench runs it after `make build`)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importCosts, measureColdStart } from './helpers/stepper-coldstart.js';
import { addKwokNode, bootstrap, createApps, settle } from './helpers/stepper-fixtures.js';
import { idleInProcess, idleProcess, idleWatch } from './helpers/stepper-idle.js';
import { progressRound, type ProgressRound } from './helpers/stepper-progress.js';
import { startBenchEnvironment } from './helpers/stepper-env.js';
import { BASELINE, BUNDLE, BUNDLE_AS_SHIPPED, DIST, TSX_CLI } from './helpers/stepper-process.js';
import { kubeconfigVia, startApiProxy } from './helpers/stepper-proxy.js';
import { coldStartTables, heading, historyTable, idleTables, idleWatchTable, latenessTable, load, type HistoryRow, type IdleSize } from './helpers/stepper-report.js';
import { fillHistories, metricState, repeatedQueries } from './helpers/states.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000' },
    runs: { type: 'string', default: '5' },
    progressing: { type: 'string', default: '100' },
    /** Which progressing rounds ('' for none): scoped-4 (the stepper on their 10 namespaces, --concurrency 4), scoped-16, all-4 (every namespace), all-16. */
    rounds: { type: 'string', default: 'scoped-4,scoped-16,all-4,all-16' },
    /** Writes every step timing and pass line of the progressing rounds here, as JSON. */
    dump: { type: 'string' },
    /** How long each watching stepper is left alone over the idle canaries (0: not measured). */
    'idle-watch-seconds': { type: 'string', default: '120' },
    /**
     * Also measure `davy step --once` over the idle canaries once each has a full history (the OSM
     * tutorial's after two rollouts with metrics), its queries kept once and then repeated as before.
     */
    histories: { type: 'string', default: 'on' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const RUNS = Number(values.runs);
const PROGRESSING = Number(values.progressing);
/** `--rounds ''` measures no progressing canaries. */
const ROUNDS = values.rounds.split(',').filter(Boolean);
const NAMESPACES = 10;
const IDLE_NS = Array.from({ length: NAMESPACES }, (_, i) => `idle-${i}`);
const PROG_NS = Array.from({ length: NAMESPACES }, (_, i) => `prog-${i}`);
const IDLE_SHAPE = { intervalSeconds: 10, iterations: 5 };
const PROG_SHAPE = { intervalSeconds: 10, iterations: 5 };
const log = (text: string): void => {
  process.stderr.write(`[stepper-bench] ${new Date().toISOString()} ${text} (load ${load()})\n`);
};

const { env, work, kubeconfig, server, pki } = await startBenchEnvironment('stepper-bench');
const { cluster } = env;
try {
  const proxy = await startApiProxy(server, pki);
  const viaProxy = kubeconfigVia(kubeconfig, proxy.url, path.join(work, 'stepper-via-proxy.kubeconfig'));
  try {
    await addKwokNode(cluster, 'kwok-node-1');

    log('cold start');
    heading('Cold start: spawn to the first API request (`davy step --once`, no canaries)');
    coldStartTables(await measureColdStart([BUNDLE, DIST, TSX_CLI, ...(BASELINE ? [BASELINE] : [])], proxy, viaProxy, RUNS), await importCosts());

    const sizes: IdleSize[] = [];
    let made = 0;
    for (const size of SIZES) {
      const perNs = Math.ceil(size / NAMESPACES);
      log(`creating apps ${made}..${perNs - 1} in ${NAMESPACES} namespaces`);
      const createdAt = performance.now();
      await createApps(cluster, IDLE_NS, made, perNs, IDLE_SHAPE);
      made = perNs;
      const boot = await bootstrap(kubeconfig, IDLE_NS, perNs * NAMESPACES);
      log(`${perNs * NAMESPACES} canaries Initialized: ${boot.passes} passes, ${boot.seconds.toFixed(0)} s (created and bootstrapped in ${((performance.now() - createdAt) / 1000).toFixed(0)} s)`);
      log(`the controllers caught up after ${(await settle(cluster, log)).toFixed(0)} s more`);
      // Every canary's interval passes, so each measured pass runs step() for all (a resting canary's steady state).
      await new Promise((resolve) => setTimeout(resolve, IDLE_SHAPE.intervalSeconds * 1000));
      const loadAtStart = load();
      const inProcess = await idleInProcess(kubeconfig, RUNS);
      const whole = await idleProcess([BUNDLE, BUNDLE_AS_SHIPPED, DIST, ...(BASELINE ? [BASELINE] : [])], kubeconfig, viaProxy, proxy, 3);
      sizes.push({ load: loadAtStart, inProcess, process: whole, namespaces: NAMESPACES });
    }
    heading(`Idle passes (${SIZES.join(' and ')} Initialized canaries, provider kubernetes blue/green, ${IDLE_SHAPE.intervalSeconds}s interval, all due)`,
      sizes.map((s) => `at ${s.inProcess.canaries}: ${s.load}`).join('; '));
    idleTables(sizes);

    const idleWatchSeconds = Number(values['idle-watch-seconds']);
    if (idleWatchSeconds > 0) {
      const canaries = made * NAMESPACES;
      log(`a watching stepper alone over ${canaries} idle canaries, ${idleWatchSeconds} s each way`);
      heading(`A \`davy step --watch\` left alone over ${canaries} idle canaries (${idleWatchSeconds} s each, one after the other, the CronJob's node flags)`);
      idleWatchTable(canaries, await idleWatch([
        { label: 'passes at the poll alone (`--resync-period 0`)', args: ['--resync-period', '0'] },
        { label: 'watches (`--resync-period 60s`, the default)', args: [] },
      ], viaProxy, proxy, idleWatchSeconds, work));
    }

    if (values.histories !== 'off') {
      const canaries = made * NAMESPACES;
      const metric = metricState();
      const variants = [
        { label: 'as bootstrapped (Initialized, no checks)', history: undefined },
        { label: 'a full history, each query once per revision (now)', history: metric },
        { label: 'a full history, every query repeated (before)', history: repeatedQueries(metric) },
      ];
      const rows: HistoryRow[] = [];
      for (const variant of variants) {
        log(`--once over ${canaries} canaries: ${variant.label}`);
        const bytes = variant.history ? await fillHistories(kubeconfig, IDLE_NS, variant.history) : Number.NaN;
        const run = await idleProcess([BUNDLE_AS_SHIPPED], kubeconfig, viaProxy, proxy, RUNS);
        rows.push({ label: variant.label, canaryBytes: bytes, wallMs: run.runs[0]!.wallMs, rssMiB: run.runs[0]!.rssMiB });
      }
      heading(`\`davy step --once\` over ${canaries} idle canaries as the CronJob runs it, by the history in their state (${RUNS} runs each)`);
      historyTable(rows);
    }

    if (ROUNDS.length > 0) {
      const rounds: ProgressRound[] = [];
      const perNs = Math.ceil(PROGRESSING / NAMESPACES);
      log(`creating ${perNs * NAMESPACES} progressing apps`);
      await createApps(cluster, PROG_NS, 0, perNs, PROG_SHAPE);
      await bootstrap(kubeconfig, PROG_NS, perNs * NAMESPACES);
      await settle(cluster, log);
      const common = {
        cluster, kubeconfig, namespaces: PROG_NS, perNamespace: perNs, intervalMs: PROG_SHAPE.intervalSeconds * 1000, logDir: work, timeoutMs: 600_000, stateDir: env.stateDir,
      };
      for (const [i, round] of ROUNDS.entries()) {
        const [scope, concurrency] = round.split('-');
        const scoped = scope === 'scoped';
        const label = `${scoped ? 'their 10 namespaces' : 'every namespace'}, --concurrency ${concurrency}`;
        if (i > 0) await settle(cluster, log);
        log(`progressing: ${label}`);
        rounds.push(await progressRound({
          ...common, label, image: `ghcr.io/stefanprodan/podinfo:6.1.${i}`, scoped, concurrency: Number(concurrency),
          inReach: perNs * NAMESPACES + (scoped ? 0 : made * NAMESPACES),
        }));
      }
      heading(`${perNs * NAMESPACES} canaries progressing at once (blue/green, ${PROG_SHAPE.iterations} iterations, ${PROG_SHAPE.intervalSeconds}s interval), one \`davy step --watch\``,
        rounds.map((r) => `when the images were set, ${r.label}: ${r.load}`).join('; '));
      latenessTable(rounds);
      if (values.dump) fs.writeFileSync(values.dump, JSON.stringify(rounds.map((r) => ({ ...r, requests: Object.fromEntries(r.requests) })), null, 1));
    }
  } finally {
    await proxy.close();
  }
} finally {
  await env.stop();
}
