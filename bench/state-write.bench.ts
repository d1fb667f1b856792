// What a state write costs the API server, by the Canary's size (issue 15, item 5). The stepper
// writes the state at every step and the status after it, each request carrying the whole Canary,
// so the API server's CPU per write, which grows with the object, is the cost of a step at scale
// (BENCHMARKS.md, "Where the time goes in that round"). Prints Markdown for BENCHMARKS.md; the
// figures are measured, never asserted.
//
// The states are real ones: Flagger's OSM tutorial Canary (two metrics, a load-test hook) stepped
// by the pure stepper (src/simulate) through two rollouts, its history full, then
//   - as Davy writes it now: a metric's query once per revision (appendCheck);
//   - every query repeated, as before;
//   - the bench's blue/green canary with no metrics, for scale.
// On a fresh control plane with Davy's CRDs and no webhook, 16 Canaries are each PUT in turn
// (16 at once), every write changing the state, and the kube-apiserver's CPU (/proc) is divided
// by the writes. Each variant runs --rounds times, interleaved, to show the noise.
//
// Run: hack/with-cluster.sh tsx bench/state-write.bench.ts [--writes 1600] [--rounds 2]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ANNOTATION_STATE } from '../src/api/keys.js';
import type { KubeObject } from '../src/kube/client.js';
import { NodeKubeClient } from '../src/kube/node-client.js';
import { mapBounded } from '../src/lib/map-bounded.js';
import { serializeState } from '../src/stepper/state-codec.js';
import { controlPlanePid, cpuSeconds } from './helpers/cpu.js';
import { ROOT } from './helpers/stepper-process.js';
import { blueGreenState, metricState, repeatedQueries, tutorial } from './helpers/states.js';
import { heading, load } from './helpers/stepper-report.js';

const { values } = parseArgs({ options: { writes: { type: 'string', default: '1600' }, rounds: { type: 'string', default: '2' } } });
const WRITES = Number(values.writes);
const ROUNDS = Number(values.rounds);
const CANARIES = 16;

interface Variant {
  label: string;
  state: string;
}

interface Measured {
  label: string;
  objectBytes: number;
  stateBytes: number;
  writes: number;
  seconds: number;
  cpuMsPerWrite: number;
}

const kubeconfig = process.env.DAVY_E2E_KUBECONFIG;
const stateDir = process.env.DAVY_E2E_STATE;
if (!kubeconfig || !stateDir) throw new Error('run inside hack/with-cluster.sh');
const kubectl = (args: string[]): string =>
  execFileSync(process.env.KUBECTL ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });

const metric = metricState();
const variants: Variant[] = [
  { label: 'OSM tutorial, 2 metrics, history full: a query once per revision (now)', state: serializeState(metric) },
  { label: 'the same, every query repeated (before)', state: serializeState(repeatedQueries(metric)) },
  { label: 'blue/green, no metrics (the scale benches\' canary)', state: serializeState(blueGreenState()) },
];

kubectl(['apply', '-f', path.join(ROOT, 'deploy/crds/canary.yaml')]);
kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/canaries.flagger.app']);
kubectl(['create', 'namespace', 'test']);
const kube = NodeKubeClient.fromKubeconfig({ kubeconfig });
const apiserver = controlPlanePid(stateDir, 'kube-apiserver');
if (!apiserver) throw new Error(`no kube-apiserver pid under ${stateDir}`);
const names = Array.from({ length: CANARIES }, (_, i) => `podinfo-${i}`);
for (const name of names) await kube.create({ ...(tutorial() as unknown as KubeObject), metadata: { name, namespace: 'test' } });

/** WRITES PUTs over the Canaries, each with `variant`'s state and a new sequence number in it. */
async function measure(variant: Variant): Promise<Measured> {
  const perCanary = Math.ceil(WRITES / CANARIES);
  const before = cpuSeconds(apiserver);
  const began = performance.now();
  let objectBytes = 0;
  await mapBounded(names, CANARIES, async (name) => {
    let object = await kube.get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: 'test', name });
    if (!object) throw new Error(`Canary test/${name} is gone`);
    for (let i = 0; i < perCanary; i += 1) {
      // A state the API server has not seen: a write that changes nothing is cheaper than a step's.
      const state = variant.state.replace(/^\{/, `{"bench":${i},`);
      object = await kube.replace({ ...object, metadata: { ...object.metadata, annotations: { [ANNOTATION_STATE]: state } } });
      objectBytes = JSON.stringify(object).length;
    }
  });
  const cpu = cpuSeconds(apiserver) - before;
  const writes = perCanary * CANARIES;
  return {
    label: variant.label, objectBytes, stateBytes: variant.state.length, writes, seconds: (performance.now() - began) / 1000,
    cpuMsPerWrite: (cpu * 1000) / writes,
  };
}

const results: Measured[][] = variants.map(() => []);
const loadAtStart = load();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [i, variant] of variants.entries()) results[i]!.push(await measure(variant));
}
kube.close();

heading('What a Canary write costs the API server, by the size of the state', `at the start: ${loadAtStart}`);
process.stdout.write(`${WRITES} PUTs of a Canary per round, ${CANARIES} at once, ${ROUNDS} rounds interleaved; kube-apiserver CPU per write from /proc.\n\n`);
process.stdout.write('| state | state, bytes | the Canary, bytes | apiserver CPU per write, ms (each round) | writes per second (each round) |\n| --- | ---: | ---: | --- | --- |\n');
for (const runs of results) {
  const first = runs[0]!;
  process.stdout.write(`| ${first.label} | ${first.stateBytes} | ${first.objectBytes} | ${runs.map((r) => r.cpuMsPerWrite.toFixed(2)).join(' / ')} | ${runs.map((r) => (r.writes / r.seconds).toFixed(0)).join(' / ')} |\n`);
}
const mean = (runs: Measured[]): number => runs.reduce((s, r) => s + r.cpuMsPerWrite, 0) / runs.length;
process.stdout.write(`\n- now / before, CPU per write: ${(mean(results[0]!) / mean(results[1]!)).toFixed(2)}; Canary size ${(results[0]![0]!.objectBytes / results[1]![0]!.objectBytes).toFixed(2)}\n`);
