// `davy status` end to end on an in-memory API server: argument handling, the list, one canary,
// JSON, the watch loop, and exit codes.

import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/client.js';
import type { ClusterFlags } from '../../../src/config/cli.js';
import { PLAIN, stripAnsi } from '../../../src/cli/format/ansi.js';
import type { CanaryView } from '../../../src/cli/status-model.js';
import { runStatus, type StatusIO } from '../../../src/cli/status.js';
import { MemoryKube } from '../../support/memory-kube.js';
import { example, released, withState } from './helpers.js';

interface Run {
  code: number;
  out: string;
  err: string;
  flags: ClusterFlags[];
}

const OSM = 'podinfo-canary-osm.yaml';

function cluster(): { kube: MemoryKube; now: number } {
  const driver = released(OSM);
  for (let i = 0; i < 3; i += 1) driver.advance();
  const progressing = withState(example(OSM), driver.state);
  const other = withState({ ...example(OSM), metadata: { name: 'backend', namespace: 'test' } }, undefined);
  const elsewhere = withState({ ...example(OSM), metadata: { name: 'frontend', namespace: 'web' } }, undefined);
  const kube = new MemoryKube().seed(...([progressing, other, elsewhere] as unknown as KubeObject[]));
  return { kube, now: driver.cluster.now + 10_000 };
}

async function run(argv: string[], kube: MemoryKube, now: number, extra: Partial<StatusIO> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const flags: ClusterFlags[] = [];
  const io: StatusIO = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    connect: (f) => {
      flags.push(f);
      return { client: kube, namespace: f.namespace ?? 'test', user: 'alice', close: () => undefined };
    },
    paint: PLAIN,
    program: 'davy',
    now: () => new Date(now),
    sleep: () => Promise.resolve(),
    screen: { write: (t) => (out += t) },
    ...extra,
  };
  return { code: await runStatus(argv, io), out, err, flags };
}

const squash = (text: string): string => text.replace(/ {2,}/g, ' ');

describe('davy status', () => {
  it('when no name is given, then the canaries of the namespace are listed as kubectl get canaries lists them', async () => {
    const { kube, now } = cluster();
    const r = await run([], kube, now);
    expect(r.code).to.equal(0);
    expect(squash(r.out).split('\n')).to.deep.equal([
      'NAME STATUS WEIGHT FAILEDCHECKS INTERVAL LASTTRANSITIONTIME',
      'backend - 0 0 30s -',
      'podinfo Progressing 15 0 30s 2025-01-01T00:01:35Z',
      '',
    ]);
  });

  it('when -A is given, then every namespace is listed with a NAMESPACE column', async () => {
    const { kube, now } = cluster();
    const r = await run(['-A'], kube, now);
    expect(squash(r.out).split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).to.deep.equal(['NAMESPACE NAME', 'test backend', 'test podinfo', 'web frontend', '']);
    expect(r.flags[0]).to.include({ allNamespaces: true });
  });

  it('when the namespace has no canaries, then it says so on stderr and exits 0', async () => {
    const { kube, now } = cluster();
    const r = await run(['-n', 'empty'], kube, now);
    expect(r).to.deep.include({ code: 0, out: '', err: 'No canaries found in namespace empty.\n' });
  });

  it('when a name is given, then that canary is shown in detail', async () => {
    const { kube, now } = cluster();
    const r = await run(['podinfo'], kube, now);
    expect(r.code).to.equal(0);
    expect(r.out).to.include('Progress:       [██████░░░░░░░░░░░░░░] weight 15% of 50% (step 3 of 10)\n');
    expect(r.out).to.include('Waiting for:    the next step in 20s\n');
  });

  it('when -o json is given, then the view is printed as JSON with the whole state history', async () => {
    const { kube, now } = cluster();
    const one = JSON.parse((await run(['podinfo', '-o', 'json'], kube, now)).out) as CanaryView;
    expect(one).to.deep.include({ name: 'podinfo', phase: 'Progressing', revision: 'rev-2', stableRevision: 'rev-1', stateKind: 'ok' });
    expect(one.progress).to.deep.equal({ kind: 'weight', weight: 15, maxWeight: 50, rung: 3, rungs: 10, mirror: false });
    expect(one.checks.length).to.be.greaterThan(5);
    const all = JSON.parse((await run(['-o', 'json'], kube, now)).out) as { canaries: CanaryView[] };
    expect(all.canaries.map((c) => c.name)).to.deep.equal(['backend', 'podinfo']);
  });

  it('when the named canary does not exist, then it says where it looked and exits 1', async () => {
    const { kube, now } = cluster();
    const r = await run(['nope', '-n', 'web'], kube, now);
    expect(r).to.deep.include({ code: 1, out: '', err: 'davy status: canary "nope" not found in namespace web\n' });
  });

  it('when the usage is wrong, then it exits 2 with the usage', async () => {
    const { kube, now } = cluster();
    for (const argv of [['a', 'b'], ['a', '-A'], ['-A', '-n', 'x'], ['-o', 'yaml'], ['--mesh-provider', 'nope'], ['--bogus']]) {
      const r = await run(argv, kube, now);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err).to.include('Usage: davy status [NAME]');
    }
    expect((await run(['--help'], kube, now)).code).to.equal(0);
  });

  it('when the API server refuses, then it exits 1; when the cluster cannot be reached or the kubeconfig used, then it exits 2', async () => {
    const { kube, now } = cluster();
    kube.failNext('list', new ApiError('canaries.flagger.app is forbidden', 403, 'Forbidden'));
    const refused = await run([], kube, now);
    expect(refused).to.deep.include({ code: 1, err: 'davy status: the API server refused: canaries.flagger.app is forbidden\n' });
    kube.failNext('list', new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    const unreachable = await run([], kube, now);
    expect(unreachable).to.deep.include({ code: 2, err: 'davy status: cannot reach the cluster: connect ECONNREFUSED 127.0.0.1:6443\n' });
    const noConfig = await run([], kube, now, { connect: () => Promise.reject(new Error('the kubeconfig has no context "x"')) });
    expect(noConfig).to.deep.include({ code: 2, err: 'davy status: cannot use the kubeconfig: the kubeconfig has no context "x"\n' });
  });

  it('when watching on a terminal, then each frame replaces the last in place cut to the terminal width, the cursor comes back, and Ctrl-C ends it with 0', async () => {
    const { kube, now } = cluster();
    const controller = new AbortController();
    let written = '';
    let frames = 0;
    const r = await run(['--watch'], kube, now, {
      screen: { write: (t) => (written += t), size: () => ({ columns: 100, rows: 30 }) },
      sleep: () => {
        frames += 1;
        if (frames === 2) controller.abort();
        return Promise.resolve();
      },
      interrupt: () => controller.signal,
    });
    expect(r.code).to.equal(0);
    expect(written.startsWith('\x1b[?25l\r\x1b[J')).to.equal(true);
    expect(written.endsWith('\x1b[?25h')).to.equal(true);
    const lines = stripAnsi(written).split('\n');
    expect(lines[0]).to.match(/davy status --watch: every 2s, Ctrl-C stops\. 2025-01-01T00:01:45Z$/);
    // The second frame moves up over the 8 lines of the first (header, blank, two canaries).
    expect(written).to.include('\x1b[8F\x1b[J');
    expect(lines.every((l) => [...l].length <= 100)).to.equal(true);
    expect(lines).to.include('    checks at 2025-01-01T00:01:35Z: rollout load-test ok, request-success-rate 100 (>= 99) ok, requ…');
    expect(stripAnsi(written)).to.include('test/podinfo  Progressing      [██████░░░░░░░░░░░░░░] weight 15% of 50% (step 3 of 10)  failed 0/5');
  });

  it('when watching into a pipe with -o json, then a JSON line is written only when something changed', async () => {
    const { kube, now } = cluster();
    const controller = new AbortController();
    let polls = 0;
    const r = await run(['podinfo', '--watch', '-o', 'json'], kube, now, {
      sleep: async () => {
        polls += 1;
        if (polls === 2) {
          const canary = kube.peek({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' })!;
          canary.metadata.annotations = { ...canary.metadata.annotations, 'davy.dev/action': '{"action":"pause","nonce":"x"}' };
          await kube.replace(canary);
        }
        if (polls === 4) controller.abort();
      },
      interrupt: () => controller.signal,
    });
    expect(r.code).to.equal(0);
    const docs = r.out.trim().split('\n').map((l) => JSON.parse(l) as CanaryView);
    expect(docs.map((d) => d.pendingAction)).to.deep.equal([undefined, { action: 'pause', nonce: 'x' }]);
  });
});
