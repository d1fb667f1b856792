// `davy simulate` on the shared example manifests, with in-memory I/O: the timeline, the time to
// promotion, the worst case, --fail-at, validation first, JSON, exit codes.

import { expect } from 'chai';
import { PLAIN } from '../../../src/cli/format/ansi.js';
import { runSimulate, type SimulateIO } from '../../../src/cli/simulate.js';
import type { SimulationReport } from '../../../src/cli/simulate-render.js';
import { simulate } from '../../../src/simulate/index.js';
import { example, exampleText } from './helpers.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], files: Record<string, string> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: SimulateIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => (p in files ? Promise.resolve(files[p]!) : Promise.reject(new Error(`ENOENT: no such file or directory, open '${p}'`))),
    readStdin: () => Promise.resolve(files['-'] ?? ''),
    paint: PLAIN,
    program: 'davy',
  };
  return { code: await runSimulate(argv, io), out, err };
}

const osm = exampleText('podinfo-canary-osm.yaml');
const blueGreen = exampleText('podinfo-canary-keda-bluegreen.yaml');

describe('davy simulate', () => {
  it('when the OSM example is simulated, then every weight from 5 to 50 appears in order, then promotion, with its times', async () => {
    const r = await run(['-f', 'osm.yaml'], { 'osm.yaml': osm });
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('');
    const lines = r.out.split('\n');
    expect(lines[0]).to.equal('Canary test/podinfo: osm, canary (weights 5, 10, 15, 20, 25, 30, 35, 40, 45, 50), interval 30s, threshold 5');
    const heads = lines.filter((l) => /^\+\d/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim());
    const weights = heads.map((h) => Number(/weight (\d+)%/.exec(h)?.[1]));
    expect(weights).to.deep.equal([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 50, 0, 0]);
    expect(heads[0]).to.equal('+0s Progressing weight 0%');
    expect(heads[1]).to.equal('+30s Progressing weight 5%');
    expect(heads[2]).to.equal('+1m Progressing weight 10% analysis step 1');
    expect(heads.slice(-3)).to.deep.equal(['+5m30s Promoting weight 50% analysis step 10', '+5m35s Finalising weight 0%', '+6m5s Succeeded weight 0%']);
    expect(r.out).to.include('         hook   pre-rollout acceptance-test\n');
    expect(r.out).to.include('         check  request-success-rate 100 (>= 99) ok\n');
    expect(r.out).to.include('         event  Advance podinfo.test canary weight 50\n');
    expect(r.out).to.include('Time to promotion:            6m5s\n');
    expect(r.out).to.include('Worst-case time to rollback:  7m30s (every metric failing from analysis step 10, the last, on)\n');
  });

  it('when --fail-at is given, then metrics fail from that analysis step, halt the weight, and the canary rolls back at the threshold', async () => {
    const r = await run(['-f', 'osm.yaml', '--fail-at', '3'], { 'osm.yaml': osm });
    expect(r.code).to.equal(0);
    expect(r.out).to.include('Simulated: every metric fails from analysis step 3 on;');
    expect(r.out).to.include('check  request-success-rate 59.4 (>= 99) failed');
    expect(r.out).to.include('event  Rolling back podinfo.test failed checks threshold reached 5');
    expect(r.out).to.include('Outcome:                      Failed after 4m\n');
    expect(r.out).to.include('Time to promotion:            none (not promoted)\n');
    expect(r.out).to.include('Time to rollback:             4m (every metric failing from analysis step 3 on)\n');
  });

  it('when the blue/green example is simulated, then iterations count to 5 of 5, traffic moves only to promote, and warnings go to stderr', async () => {
    const r = await run(['-f', 'bg.yaml'], { 'bg.yaml': blueGreen });
    expect(r.code).to.equal(0);
    expect(r.out).to.include('kubernetes, blue-green (5 iterations), interval 15s, threshold 5');
    expect(r.out).to.match(/\+1m15s\s+Progressing\s+iteration 5\/5 /);
    expect(r.out).to.match(/\+1m30s\s+Promoting\s+iteration 5\/5, canary 100%/);
    expect(r.out).to.include('Time to promotion:            1m50s\n');
    expect(r.err).to.include('bg.yaml: Warning: spec.autoscalerRef.primaryScalerQueries');
  });

  it('when -o json is asked for, then the report carries the same timeline and times as simulate()', async () => {
    const r = await run(['-f', 'osm.yaml', '-o', 'json'], { 'osm.yaml': osm });
    const { simulations } = JSON.parse(r.out) as { simulations: SimulationReport[] };
    const sim = simulate(example('podinfo-canary-osm.yaml'));
    expect(simulations).to.have.length(1);
    const report = simulations[0]!;
    expect(report).to.include({ outcome: 'Succeeded', timeToPromotionMs: sim.timeToPromotionMs, worstCaseRollbackMs: sim.worstCaseRollbackMs, analysisSteps: 10 });
    expect(report.timeline.map((e) => [e.at, e.phase, e.weight])).to.deep.equal(sim.timeline.map((e) => [e.at, e.phase, e.routes.canary]));
    expect(report.timeline[2]!.checks[0]).to.deep.equal({ name: 'request-success-rate', value: 100, min: 99, verdict: 'ok' });
    expect(report.timeline[1]!.hooks).to.deep.equal([{ type: 'pre-rollout', name: 'acceptance-test' }]);
  });

  it('when the file holds a Deployment and a Canary, then only the Canary is simulated', async () => {
    const deployment = exampleText('podinfo-deployment.yaml');
    const r = await run(['-f', '-'], { '-': `${deployment}\n---\n${osm}` });
    expect(r.code).to.equal(0);
    expect(r.out.match(/^Canary /gm)).to.have.length(1);
  });

  it('when the Canary is invalid, then its errors are printed, nothing is simulated, and it exits 1', async () => {
    const r = await run(['-f', 'bad.yaml'], { 'bad.yaml': osm.replace('stepWeight: 5', 'stepWeight: 60') });
    expect(r.code).to.equal(1);
    expect(r.out).to.equal('');
    expect(r.err).to.include('bad.yaml: spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)\n');
    expect(r.err).to.include('davy simulate: not simulated');
  });

  it('when the file holds no Canary or broken YAML, then it exits 1', async () => {
    expect((await run(['-f', 'd.yaml'], { 'd.yaml': exampleText('podinfo-deployment.yaml') })).err).to.include('d.yaml: no Canary in this file');
    const broken = await run(['-f', 'b.yaml'], { 'b.yaml': 'kind: Canary\n  bad: [' });
    expect(broken.code).to.equal(1);
    expect(broken.err).to.include('b.yaml[0]: YAML syntax error');
  });

  it('when --fail-at lies beyond the analysis, then a note says it never comes', async () => {
    const r = await run(['-f', 'osm.yaml', '--fail-at', '99'], { 'osm.yaml': osm });
    expect(r.out).to.include('Note: --fail-at 99 never comes: this analysis has 10 analysis steps.');
  });

  it('when the usage is wrong or the file unreadable, then it exits 2', async () => {
    expect((await run([])).code).to.equal(2);
    expect((await run(['-f', 'x', '--fail-at', '0'], { x: osm })).err).to.include('--fail-at must be a whole number from 1');
    expect((await run(['-f', 'x', '--mesh-provider', 'nope'], { x: osm })).code).to.equal(2);
    const missing = await run(['-f', 'missing.yaml']);
    expect(missing).to.include({ code: 2 });
    expect(missing.err).to.include('missing.yaml: cannot read: ENOENT');
    expect((await run(['--help'])).code).to.equal(0);
  });
});
