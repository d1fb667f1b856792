// Davy and Flagger side by side (issue 15, item 1): the same N blue/green canaries (provider
// kubernetes, interval 10 s, 3 iterations, no metrics) on a fresh local control plane per tool,
// all N images changed at once. Per tool: time from the change to the last canary done, CPU of the
// controller processes and of the API server during the rollout and while idle, each process's peak
// RSS, the controller's API requests by verb (a counting proxy in front of it), and for Davy the
// admission calls into its own webhook. Figures are measured and written down, never asserted.
//
// One tool, one size (inside hack/with-cluster.sh, which gives it its fresh control plane):
//   hack/with-cluster.sh tsx bench/side-by-side.bench.ts --tool davy|flagger --canaries 50 [--idle-seconds 180] --out FILE.json
// `--flagger-qps N` runs Flagger with its client limiter raised (-kubeconfig-qps=N and a burst of
// 2.5 N, its defaults' proportion: 100 and 250) instead of at its defaults.
// The ratio table from two such files:
//   tsx bench/side-by-side.bench.ts --report davy.json flagger.json
// (hack/bench.sh runs both tools at 50 and 200, Flagger built by hack/build-flagger.sh.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { mapBounded } from '../src/lib/map-bounded.js';
import { startEnvironment } from '../test/harness/environment.js';
import type { Managed } from '../test/harness/process.js';
import { stepperKubeconfig } from '../test/harness/stepper.js';
import { apiServerPid, cpuSeconds } from './helpers/cpu.js';
import { admissionCalls, followRollout, phases, startDavyStepper, startFlagger, type Tool, type Watched } from './helpers/side-by-side.js';
import { CREATE_CONCURRENCY, addKwokNode, appName, createApps, settle } from './helpers/stepper-fixtures.js';
import { requireBuild, ROOT } from './helpers/stepper-process.js';
import { kubeconfigVia, startApiProxy, tally } from './helpers/stepper-proxy.js';
import { peakRssMiB, sampleRssParts, type RssParts } from './helpers/rss.js';
import { shippedNodeOptions } from './helpers/webhook-memory.js';

const { values, positionals } = parseArgs({
  options: {
    tool: { type: 'string', default: 'davy' },
    canaries: { type: 'string', default: '50' },
    'idle-seconds': { type: 'string', default: '180' },
    'flagger-qps': { type: 'string' },
    out: { type: 'string' },
    report: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

interface Window {
  seconds: number;
  /** CPU seconds per process name, and of the API server. */
  cpu: Record<string, number>;
  requests: Record<string, number>;
  admission: Record<string, number>;
}

interface Result {
  tool: Tool;
  version: string;
  canaries: number;
  namespaces: number;
  loadAtChange: string;
  loadAtEnd: string;
  rollout: Window & { lastDoneSeconds: number; p50DoneSeconds: number; failed: number; unfinished: number };
  idle: Window;
  peakRssMiB: Record<string, number>;
  /** The largest RssAnon and RssFile seen per process (sampled; absent from older result files). */
  peakRssPartsMiB?: Record<string, RssParts>;
  /** The tool's flags beyond its shipped defaults (absent: none). */
  flags?: string[];
}

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const log = (text: string): void => {
  process.stderr.write(`[side-by-side] ${new Date().toISOString()} ${text} (load ${load()})\n`);
};


async function measure(tool: Tool, count: number, idleSeconds: number, flaggerQps: number | undefined): Promise<void> {
  if (tool !== 'davy' && tool !== 'flagger') throw new Error('--tool is davy or flagger');
  const flags = tool === 'flagger' && flaggerQps ? [`-kubeconfig-qps=${flaggerQps}`, `-kubeconfig-burst=${Math.round(flaggerQps * 2.5)}`] : [];
  requireBuild();
  const flagger = tool === 'flagger' ? flaggerBuild() : undefined;
  const namespaces = Array.from({ length: Math.min(10, count) }, (_, i) => `sbs-${i}`);
  const perNs = Math.ceil(count / namespaces.length);
  const env = await startEnvironment();
  const work = path.join(env.stateDir, 'side-by-side');
  fs.mkdirSync(work, { recursive: true });
  const { cluster } = env;
  const processes: Managed[] = [];
  const watched: Watched[] = [];
  let closeProxy: () => Promise<void> = () => Promise.resolve();
  try {
    // At promotion an app runs three pods (its old one, its new one, the copy): at 1,000 pods a
    // fake node, N=1,000 needs three nodes, or the new pods stay Pending and every promotion
    // waits out its deadline. kwok-node-0 is the environment's.
    for (let i = 1; i <= Math.ceil((3 * count) / 1000); i += 1) await addKwokNode(cluster, `kwok-node-${i}`);
    const admin = (parseYaml(fs.readFileSync(cluster.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server;
    const proxy = await startApiProxy(admin, path.dirname(process.env.CA_CERT ?? path.join(env.stateDir, 'cluster/pki/ca.crt')));
    closeProxy = () => proxy.close();
    const viaProxy = (file: string): string => kubeconfigVia(file, proxy.url, file.replace(/\.kubeconfig$/, '-via-proxy.kubeconfig'));
    let metricsUrl: string | undefined;
    if (tool === 'davy') {
      // The webhook as deploy/ ships it: its NODE_OPTIONS (the harness passes its environment on).
      const outer = process.env.NODE_OPTIONS;
      process.env.NODE_OPTIONS = shippedNodeOptions();
      const webhook = await env.webhook().finally(() => {
        if (outer === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = outer;
      });
      metricsUrl = webhook.metricsUrl;
      watched.push({ name: 'davy webhook', pid: () => webhook.pid() });
      const stepper = startDavyStepper(viaProxy(await stepperKubeconfig(cluster, path.join(work, 'stepper.kubeconfig'))), work);
      processes.push(stepper);
      watched.push({ name: 'davy stepper', pid: () => stepper.child.pid });
    } else {
      const flaggerProcess = await startFlagger(cluster, flagger!.binary, flagger!.crds, viaProxy, work, flags);
      processes.push(flaggerProcess);
      watched.push({ name: 'flagger', pid: () => flaggerProcess.child.pid });
    }
    const apiserver = apiServerPid(env.stateDir);
    const memory = sampleRssParts(watched);
    const cpuNow = (): Record<string, number> => ({
      ...Object.fromEntries(watched.map((w) => [w.name, cpuSeconds(w.pid())])),
      'kube-apiserver': cpuSeconds(apiserver),
    });
    const window = async (began: number, cpuBefore: Record<string, number>, admissionBefore: Record<string, number>): Promise<Window> => {
      const cpuAfter = cpuNow();
      const admissionAfter = metricsUrl ? await admissionCalls(metricsUrl) : {};
      return {
        seconds: (performance.now() - began) / 1000,
        cpu: Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k]! - (cpuBefore[k] ?? 0)])),
        requests: Object.fromEntries(tally(proxy.requests)),
        admission: Object.fromEntries(Object.keys(admissionAfter).map((k) => [k, admissionAfter[k]! - (admissionBefore[k] ?? 0)])),
      };
    };

    log(`${tool}: creating ${perNs * namespaces.length} apps in ${namespaces.length} namespaces`);
    await createApps(cluster, namespaces, 0, perNs, { intervalSeconds: 10, iterations: 3 });
    const expected = perNs * namespaces.length;
    await waitUntil(async () => (await phases(cluster, namespaces)).filter((c) => c.phase === 'Initialized').length >= expected, 1_200_000, 'every canary Initialized');
    log(`${tool}: every canary Initialized; the controllers caught up after ${(await settle(cluster, log)).toFixed(0)} s more`);

    log(`${tool}: idle for ${idleSeconds} s`);
    proxy.reset();
    let began = performance.now();
    let cpu = cpuNow();
    let admission = metricsUrl ? await admissionCalls(metricsUrl) : {};
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const idle = await window(began, cpu, admission);

    log(`${tool}: a new image on all ${expected} Deployments`);
    const loadAtChange = load();
    proxy.reset();
    cpu = cpuNow();
    admission = metricsUrl ? await admissionCalls(metricsUrl) : {};
    began = performance.now();
    const targets = namespaces.flatMap((ns) => Array.from({ length: perNs }, (_, i) => ({ ns, name: appName(i) })));
    await mapBounded(targets, CREATE_CONCURRENCY, ({ ns, name }) => cluster.kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name },
      { type: 'json', ops: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'ghcr.io/stefanprodan/podinfo:6.0.1' }] }));
    const followed = await followRollout(cluster, namespaces, expected, began, 1_200_000);
    const rolled = await window(began, cpu, admission);
    const sorted = [...followed.doneAfter].sort((a, b) => a - b);
    const result: Result = {
      tool, version: tool === 'davy' ? `davy ${gitHead()}` : `flagger ${flagger!.version}`,
      canaries: expected, namespaces: namespaces.length, loadAtChange, loadAtEnd: load(),
      rollout: { ...rolled, lastDoneSeconds: sorted.at(-1) ?? Number.NaN, p50DoneSeconds: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, failed: followed.failed.length, unfinished: followed.unfinished },
      idle,
      peakRssMiB: Object.fromEntries(watched.map((w) => [w.name, peakRssMiB(w.pid())])),
      peakRssPartsMiB: memory.stop(),
      ...(flags.length ? { flags } : {}),
    };
    log(`${tool}: last canary done after ${result.rollout.lastDoneSeconds.toFixed(1)} s (${followed.failed.length} failed, ${followed.unfinished} unfinished)`);
    if (values.out) fs.writeFileSync(values.out, JSON.stringify(result, null, 1));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    // The controllers first: a running one reconnects to the proxy as fast as it is closed.
    for (const p of processes) await p.stop();
    await closeProxy();
    await env.stop();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function flaggerBuild(): { binary: string; crds: string; version: string } {
  const out = execFileSync(path.join(ROOT, 'hack/build-flagger.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const get = (key: string): string => new RegExp(`^${key}=(.*)$`, 'm').exec(out)?.[1] ?? '';
  return { binary: get('FLAGGER'), crds: get('FLAGGER_CRDS'), version: process.env.FLAGGER_VERSION ?? 'v1.36.1' };
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

const sum = (record: Record<string, number>, keep: (key: string) => boolean = () => true): number =>
  Object.entries(record).filter(([k]) => keep(k)).reduce((s, [, n]) => s + n, 0);
const isWrite = (key: string): boolean => !key.startsWith('GET ') && !key.startsWith('LIST ') && !key.startsWith('WATCH ');
const controllers = (r: Result) => (k: string): boolean => k !== 'kube-apiserver' && (r.tool === 'flagger' || k.startsWith('davy'));
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const f1 = (n: number): string => n.toFixed(1);

/** The Markdown table of Davy against Flagger from two result files of the same size. */
function report(files: string[]): void {
  const results = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Result);
  const davy = results.find((r) => r.tool === 'davy');
  const flagger = results.find((r) => r.tool === 'flagger');
  if (!davy || !flagger) throw new Error('--report needs a davy and a flagger result file');
  const rows: [string, number, number, (n: number) => string][] = [
    ['last canary done after the change, s', davy.rollout.lastDoneSeconds, flagger.rollout.lastDoneSeconds, f1],
    ['median canary done after the change, s', davy.rollout.p50DoneSeconds, flagger.rollout.p50DoneSeconds, f1],
    ['controller CPU during the rollout, s', sum(davy.rollout.cpu, controllers(davy)), sum(flagger.rollout.cpu, controllers(flagger)), f1],
    [`controller CPU, ${davy.idle.seconds.toFixed(0)} s idle, s`, sum(davy.idle.cpu, controllers(davy)), sum(flagger.idle.cpu, controllers(flagger)), f1],
    ['kube-apiserver CPU during the rollout, s', davy.rollout.cpu['kube-apiserver'] ?? 0, flagger.rollout.cpu['kube-apiserver'] ?? 0, f1],
    ['API requests during the rollout', sum(davy.rollout.requests), sum(flagger.rollout.requests), String],
    ['API requests, idle', sum(davy.idle.requests), sum(flagger.idle.requests), String],
    ['writes per canary per rollout', sum(davy.rollout.requests, isWrite) / davy.canaries, sum(flagger.rollout.requests, isWrite) / flagger.canaries, f1],
    ['admission calls per canary per rollout', sum(davy.rollout.admission) / davy.canaries, 0, f1],
    ['peak RSS, all controller processes, MiB', sum(davy.peakRssMiB), sum(flagger.peakRssMiB), (n) => n.toFixed(0)],
  ];
  const flagged = (r: Result): string => (r.flags?.length ? ` (${r.flags.join(' ')})` : ' (its defaults)');
  console.log(`N=${davy.canaries} (${davy.namespaces} namespaces); ${davy.version}${flagged(davy)} vs ${flagger.version}${flagged(flagger)}; load at the change ${davy.loadAtChange} (Davy) and ${flagger.loadAtChange} (Flagger)`);
  console.log();
  console.log('| measure | Davy | Flagger | Davy / Flagger |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [label, a, b, fmt] of rows) console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b)} |`);
  console.log();
  console.log(`Peak RSS per process, MiB: ${[...Object.entries(davy.peakRssMiB), ...Object.entries(flagger.peakRssMiB)].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}.`);
  const parts = Object.entries({ ...davy.peakRssPartsMiB, ...flagger.peakRssPartsMiB });
  if (parts.length) {
    console.log(`Largest anonymous / file-backed RSS per process, sampled, MiB: ${parts.map(([k, p]) => `${k} ${p.anon.toFixed(0)} / ${p.file.toFixed(0)}`).join(', ')}.`);
  }
  for (const r of [davy, flagger]) {
    console.log(`${r.tool} requests in the rollout: ${Object.entries(r.rollout.requests).map(([k, n]) => `${k} ${n}`).join(', ')}; idle: ${Object.entries(r.idle.requests).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}.`);
    if (r.rollout.failed || r.rollout.unfinished) console.log(`${r.tool}: ${r.rollout.failed} failed, ${r.rollout.unfinished} unfinished.`);
  }
  console.log(`Davy admission calls in the rollout: ${Object.entries(davy.rollout.admission).map(([k, n]) => `${k} ${n}`).join(', ')}.`);
}

if (values.report) report(positionals);
else await measure(values.tool as Tool, Number(values.canaries), Number(values['idle-seconds']), values['flagger-qps'] ? Number(values['flagger-qps']) : undefined);
