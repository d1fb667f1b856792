// When passes run (--once, --for, --watch, a stop), which canaries a stepper takes (--namespace,
// --shard), and what a pass reads with several namespaces.
import { expect } from 'chai';
import type { KubeClient, KubeObject } from '../../../src/kube/client.js';
import { nextPassAt, runPass, runSchedule, shardOf, type CanaryReport, type PassReport } from '../../../src/runner/index.js';
import { earliestDue, NAMESPACES_AT_ONCE } from '../../../src/runner/pass.js';
import { canary as loadCanary, load } from '../../fixtures/routers/index.js';
import { FakeTimers } from './timers.js';
import { editCanary, flush, passUntil, phaseIs, stateOf, world, type World } from './world.js';

/** A sleep that moves the world's clock instead of waiting. */
const fakeSleep = (w: World) => (ms: number): Promise<void> => {
  w.clock.advance(ms);
  return flush();
};

/** The podinfo example copied into `namespace`, with a status phase when given. */
function seedNamespace(w: World, namespace: string, phase?: string): void {
  const canary = loadCanary('podinfo-canary-osm') as unknown as KubeObject;
  canary.metadata = { ...canary.metadata, namespace, uid: `uid-${namespace}` };
  if (phase) canary.status = { phase };
  const objects = load('podinfo-deployment').map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  w.kube.seed(canary, ...objects);
}

describe('runner: the schedule', () => {
  it('when --once, then one pass runs', async () => {
    const w = world();
    const result = await runSchedule({ ...w.deps, sleep: fakeSleep(w) }, { mode: { kind: 'once' } });
    expect(result).to.deep.equal({ passes: 1, namespacePasses: 0, failedPasses: 0, lastPassFailed: false, stoppedBy: 'done' });
  });

  it('when --for 55s with a 30s interval, then a namespace pass comes when its run is due, whole passes at the poll, and none after the window', async () => {
    const w = world();
    const timers = new FakeTimers(w.clock);
    const start = w.clock.ms;
    const starts: string[] = [];
    const result = await timers.run(runSchedule(
      { ...w.deps, sleep: timers.sleep, onPass: (r: PassReport, ns?: string) => starts.push(`${ns ?? 'whole'} ${Date.parse(r.startedAt) - start}`) },
      { mode: { kind: 'for', durationMs: 55_000 } },
    ));
    expect(starts.every((t) => Number(t.split(' ')[1]) < 55_000)).to.equal(true);
    expect(result.passes + result.namespacePasses).to.equal(starts.length);
    // Initializing is polled every 5s (its namespace alone), then the canary rests: whole passes every 10s.
    expect(starts.slice(0, 4)).to.deep.equal(['whole 0', 'test 5000', 'whole 10000', 'whole 20000']);
    expect(stateOf(w).phase).to.equal('Initialized');
  });

  it('when a resting canary\'s interval is shorter than the poll, then whole passes come at its due, as a resting step only looks for something new', async () => {
    const w = world();
    await editCanary(w, (c) => {
      c.spec.analysis = { ...c.spec.analysis, interval: '10s' };
    });
    await passUntil(w, phaseIs('Initialized'), 20);
    const timers = new FakeTimers(w.clock);
    const start = w.clock.ms;
    const starts: string[] = [];
    await timers.run(runSchedule(
      { ...w.deps, sleep: timers.sleep, onPass: (r: PassReport, ns?: string) => starts.push(`${ns ?? 'whole'} ${Date.parse(r.startedAt) - start}`) },
      { mode: { kind: 'for', durationMs: 25_000 }, pollIntervalMs: 20_000 },
    ));
    expect(starts).to.deep.equal(['whole 0', 'whole 10000', 'whole 20000']);
  });

  it('when --watch is stopped by a signal, then it stops between passes and says so', async () => {
    const w = world();
    const stop = new AbortController();
    let passes = 0;
    const result = await runSchedule(
      { ...w.deps, sleep: fakeSleep(w), onPass: (_r, ns) => (ns === undefined && ++passes === 3 ? stop.abort() : undefined) },
      { mode: { kind: 'watch' }, signal: stop.signal },
    );
    expect(result).to.include({ passes: 3, stoppedBy: 'signal' });
  });

  it('when the Canaries cannot be listed, then the pass fails, the schedule goes on, and the last failure is reported', async () => {
    const w = world();
    w.kube.failNext('list', new Error('connection refused'), 'Canary');
    const result = await runSchedule({ ...w.deps, sleep: fakeSleep(w) }, { mode: { kind: 'for', durationMs: 15_000 } });
    expect(result.failedPasses).to.equal(1);
    expect(result.lastPassFailed).to.equal(false);
    expect(result.passes).to.be.greaterThan(1);
  });

  it('when the next canary is due sooner than the poll interval, then the next pass is then to the millisecond, or at once if that moment has passed', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const report = (due?: string, overdue = false): PassReport => ({ startedAt: '2025-12-31T23:59:59.500Z', durationMs: 500, canaries: [], ...(due ? { due } : {}), ...(overdue ? { overdue } : {}) });
    expect(nextPassAt(now, report('2026-01-01T00:00:03Z'), 10_000, 1000)).to.equal(now + 3000);
    // Due in 200 ms: the pass starts then, not a second from now (the step would be 800 ms late).
    expect(nextPassAt(now, report('2026-01-01T00:00:00.200Z'), 10_000, 1000)).to.equal(now + 200);
    // Due 300 ms ago, while the pass ran but after that canary's turn: the next pass starts now.
    expect(nextPassAt(now, report('2025-12-31T23:59:59.700Z'), 10_000, 1000)).to.equal(now);
    expect(nextPassAt(now, report('2026-01-01T00:05:00Z'), 10_000, 1000)).to.equal(now + 10_000);
    expect(nextPassAt(now, report(), 10_000, 1000)).to.equal(now + 10_000);
  });

  it('when a canary was due at its turn and is due still, then the next pass waits the minimum gap, unless another canary is due sooner', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const report = (due?: string): PassReport => ({ startedAt: '2025-12-31T23:59:59.500Z', durationMs: 500, canaries: [], overdue: true, ...(due ? { due } : {}) });
    expect(nextPassAt(now, report(), 10_000, 1000)).to.equal(now + 1000);
    expect(nextPassAt(now, report('2026-01-01T00:00:05Z'), 10_000, 1000)).to.equal(now + 1000);
    expect(nextPassAt(now, report('2026-01-01T00:00:00.200Z'), 10_000, 1000)).to.equal(now + 200);
  });

  it('when a pass ends, then it reports the earliest due still ahead of its canary\'s turn, and as overdue a due its canary had reached', async () => {
    const w = world();
    const pass = await runPass(w.deps);
    expect(pass.overdue).to.equal(undefined);
    expect(Date.parse(pass.due!)).to.be.greaterThan(w.clock.ms);

    const at = (iso: string): number => Date.parse(iso);
    const a: CanaryReport = { namespace: 'a', name: 'a', outcome: 'idle', due: '2026-01-01T00:00:09Z' };
    const b: CanaryReport = { namespace: 'b', name: 'b', outcome: 'stepped', due: '2026-01-01T00:00:02Z' };
    const c: CanaryReport = { namespace: 'c', name: 'c', outcome: 'idle', due: '2026-01-01T00:00:01Z' };
    const none: CanaryReport = { namespace: 'd', name: 'd', outcome: 'conflict' };
    // c's due came before its turn ended: overdue, and not the pass's due.
    const turns = new Map([[a, at('2026-01-01T00:00:00Z')], [b, at('2026-01-01T00:00:00.5Z')], [c, at('2026-01-01T00:00:01.5Z')], [none, 0]]);
    expect(earliestDue([a, b, c, none], turns)).to.deep.equal({ due: '2026-01-01T00:00:02.000Z', overdue: true });
    expect(earliestDue([a, none], turns)).to.deep.equal({ due: '2026-01-01T00:00:09.000Z' });
    expect(earliestDue([none], turns)).to.deep.equal({});
  });
});

describe('runner: which canaries a stepper takes', () => {
  it('when shards split the canaries, then each canary is in exactly one shard, the same one every time', () => {
    const names = Array.from({ length: 60 }, (_, i) => [`ns-${i % 7}`, `app-${i}`] as const);
    const counts = [0, 0, 0];
    for (const [ns, name] of names) {
      const shard = shardOf(ns, name, 3);
      expect(shardOf(ns, name, 3)).to.equal(shard);
      counts[shard]! += 1;
    }
    expect(counts.every((c) => c > 5)).to.equal(true);
  });

  it('when --shard I/N is given, then a pass steps only the canaries of shard I', async () => {
    const w = world();
    seedNamespace(w, 'other');
    const mine = shardOf('test', 'podinfo', 2);
    const report = await runPass(w.deps, { shard: { index: mine, count: 2 } });
    const expected = ['test', 'other'].filter((ns) => shardOf(ns, 'podinfo', 2) === mine);
    expect(report.canaries.map((c) => c.namespace).sort()).to.deep.equal(expected.sort());
  });

  it('when some canaries rest and others have a run under way, then a pass steps those under way first, each group in list order', async () => {
    const w = world();
    seedNamespace(w, 'a', 'Initialized');
    seedNamespace(w, 'b', 'Progressing');
    seedNamespace(w, 'c', 'Succeeded');
    seedNamespace(w, 'd', 'Promoting');
    // One at a time, so the reports' order is the order the canaries were stepped in ('test' was never stepped).
    const report = await runPass(w.deps, { concurrency: 1 });
    expect(report.canaries.map((c) => c.namespace)).to.deep.equal(['b', 'd', 'test', 'a', 'c']);
  });

  it('when --namespace is given, then canaries elsewhere are neither listed nor touched', async () => {
    const w = world();
    seedNamespace(w, 'other');
    w.options = { namespaces: ['other'] };
    await passUntil(w, (x) => stateOf(x).phase === '' && x.kube.objects('TrafficSplit').length === 1, 20);
    expect(w.kube.objects('TrafficSplit').map((o) => o.metadata.namespace)).to.deep.equal(['other']);
    expect(stateOf(w).phase).to.equal('');
  });

  it('when two namespaces hold canaries, then an idle pass costs the same LISTs per namespace and no GET', async () => {
    const w = world();
    seedNamespace(w, 'other');
    await passUntil(w, (x) => phaseIs('Initialized')(x), 20);
    await passUntil(w, () => w.kube.objects('HorizontalPodAutoscaler').length === 4, 20);
    const before = { ...w.kube.requests };
    await runPass(w.deps, w.options);
    expect(w.kube.requests.get - before.get).to.equal(0);
    // Canaries once across all namespaces, then in each of the two namespaces 4 kinds and its Canaries again.
    expect(w.kube.requests.list - before.list).to.equal(1 + 2 * (4 + 1));
  });

  it('when several namespaces hold canaries, then each namespace\'s Canaries are listed after its objects and before its canaries are stepped', async () => {
    const w = world();
    for (const ns of ['a', 'b', 'c', 'd']) seedNamespace(w, ns);
    await passUntil(w, () => w.kube.objects('HorizontalPodAutoscaler').length === 5, 20);
    const calls: string[] = [];
    const kube = {
      ...w.deps.kube,
      list: ((apiVersion, kind, namespace, options) => {
        calls.push(`list ${kind} ${namespace ?? '*'}`);
        return w.deps.kube.list(apiVersion, kind, namespace, options);
      }) as KubeClient['list'],
      replace: ((object, options) => {
        calls.push(`replace ${object.kind} ${object.metadata.namespace}`);
        return w.deps.kube.replace(object, options);
      }) as KubeClient['replace'],
    };
    w.clock.advance(120_000);
    await runPass({ ...w.deps, kube }, w.options);
    expect(calls[0]).to.equal('list Canary *');
    for (const ns of ['test', 'a', 'b', 'c', 'd']) {
      const mine = calls.map((c, i) => [c, i] as const).filter(([c]) => c.endsWith(` ${ns}`));
      const canaries = mine.filter(([c]) => c === `list Canary ${ns}`).map(([, i]) => i);
      const objects = mine.filter(([c]) => c.startsWith('list ') && !c.startsWith('list Canary')).map(([, i]) => i);
      const writes = mine.filter(([c]) => c.startsWith('replace ')).map(([, i]) => i);
      expect(canaries, ns).to.have.length(1);
      expect(objects, ns).to.have.length(4);
      expect(Math.max(...objects), ns).to.be.lessThan(canaries[0]!);
      expect(writes.every((i) => i > canaries[0]!), ns).to.equal(true);
    }
  });

  it('when the API server answers the first LIST of Canaries in chunks, then every chunk is followed and every canary stepped once', async () => {
    const w = world();
    for (const ns of ['a', 'b', 'c', 'd']) seedNamespace(w, ns);
    const chunks: (string | undefined)[] = [];
    const kube = {
      ...w.deps.kube,
      // A server that gives 2 Canaries per chunk, whatever limit was asked.
      list: ((apiVersion, kind, namespace, options) => {
        if (kind === 'Canary' && options?.limit) {
          chunks.push(options.continue);
          return w.deps.kube.list(apiVersion, kind, namespace, { ...options, limit: 2 });
        }
        return w.deps.kube.list(apiVersion, kind, namespace, options);
      }) as KubeClient['list'],
    };
    const report = await runPass({ ...w.deps, kube }, w.options);
    expect(chunks).to.deep.equal([undefined, '2', '4']);
    expect(report.canaries.map((c) => c.namespace).sort()).to.deep.equal(['a', 'b', 'c', 'd', 'test']);
  });

  it('when many namespaces hold canaries, then a pass holds the objects of at most NAMESPACES_AT_ONCE namespaces at a time', async () => {
    const w = world();
    const namespaces = Array.from({ length: 6 }, (_, i) => `ns-${i}`);
    for (const ns of namespaces) seedNamespace(w, ns);
    await passUntil(w, () => w.kube.objects('HorizontalPodAutoscaler').length === 7, 20);
    // A namespace is open from its first object LIST to the end of its last canary's turn (its last request).
    const open = new Map<string, { first: number; last: number }>();
    let tick = 0;
    const seen = (namespace: string | undefined): void => {
      if (!namespace) return;
      tick += 1;
      const span = open.get(namespace);
      if (span) span.last = tick;
      else open.set(namespace, { first: tick, last: tick });
    };
    const kube: KubeClient = new Proxy(w.deps.kube, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const [first, , third] = args as [{ metadata?: { namespace?: string }; namespace?: string } | string, unknown, string | undefined];
          if (key === 'list') seen(third);
          else if (typeof first === 'object') seen(first.metadata?.namespace ?? first.namespace);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    w.clock.advance(120_000);
    await runPass({ ...w.deps, kube }, { ...w.options, concurrency: 1 });
    const spans = [...open.values()];
    expect(spans).to.have.length(7);
    const most = Math.max(...spans.map((s) => spans.filter((o) => o.first <= s.first && s.first <= o.last).length));
    expect(most).to.be.at.most(NAMESPACES_AT_ONCE);
  });
});
