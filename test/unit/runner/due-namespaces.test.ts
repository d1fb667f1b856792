// Issue 15, item 3: a step that comes due is not late by a whole pass over idle canaries. The
// schedule passes a namespace alone when its run is due, beside the whole passes, never two passes
// in one namespace at once, and a stop still stops everything. Requests to the idle namespaces are
// slowed in fake time (FakeTimers), so a whole pass takes seconds of the fake clock.
import { expect } from 'chai';
import type { KubeClient, KubeObject } from '../../../src/kube/client.js';
import { runSchedule, type CanaryReport, type PassReport } from '../../../src/runner/index.js';
import { Turns } from '../../../src/runner/turns.js';
import { StepperMetrics } from '../../../src/telemetry/stepper-metrics.js';
import { canary as loadCanary, load } from '../../fixtures/routers/index.js';
import { FakeTimers } from './timers.js';
import { pass, passUntil, setImage, splitWeight, stateOf, world, type World } from './world.js';

const INTERVAL_MS = 30_000;
const IDLE = Array.from({ length: 8 }, (_, i) => `idle-${i}`);
/** Fake time each LIST in an idle namespace takes: a whole pass over them takes about 8 s. */
const LIST_MS = 1_000;

function seedNamespace(w: World, namespace: string): void {
  const canary = loadCanary('podinfo-canary-osm') as unknown as KubeObject;
  canary.metadata = { ...canary.metadata, namespace, uid: `uid-${namespace}` };
  w.kube.seed(canary, ...load('podinfo-deployment').map((o) => ({ ...o, metadata: { ...o.metadata, namespace } })));
}

/** 'test' analysing at weight 10 (its next step due INTERVAL_MS after its last), the idle namespaces Initialized. */
async function progressingAmongIdle(idle: readonly string[]): Promise<{ w: World; dueMs: number }> {
  const w = world();
  for (const ns of idle) seedNamespace(w, ns);
  const initialized = (c: KubeObject): boolean => (c.status as { phase?: string } | undefined)?.phase === 'Initialized';
  await passUntil(w, (x) => x.kube.objects('Canary').every(initialized), 40);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 10, 50);
  await pass(w);
  return { w, dueMs: Date.parse(stateOf(w).lastStepAt!) + INTERVAL_MS };
}

/** The world's kube, with `delay(verb, kind, namespace)` ms of fake time before each call it names. */
function slowed(w: World, timers: FakeTimers, delay: (verb: string, kind: string, namespace: string) => number): KubeClient {
  return new Proxy(w.kube, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const [first, second, third] = args as [KubeObject | string, string | undefined, string | undefined];
        const [kind, namespace] = typeof first === 'string' ? [second ?? '', third ?? ''] : [first.kind, first.metadata.namespace ?? ''];
        const ms = delay(String(key), kind, namespace);
        if (ms > 0) await timers.sleep(ms);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const slowIdleLists = (verb: string, _kind: string, namespace: string): number => (verb === 'list' && namespace.startsWith('idle-') ? LIST_MS : 0);

interface Seen {
  /** Each pass's end on the fake clock: 'whole' or its namespace. */
  ends: { pass: string; at: number; report: PassReport }[];
}

const recorder = (w: World, seen: Seen) => (report: PassReport, namespace?: string): void => {
  seen.ends.push({ pass: namespace ?? 'whole', at: w.clock.ms, report });
};

const outcomesOf = (seen: Seen, namespace: string): CanaryReport['outcome'][] =>
  seen.ends.flatMap((e) => e.report.canaries).filter((c) => c.namespace === namespace).map((c) => c.outcome);

describe('runner: the schedule passes a namespace alone when its run is due', () => {
  it('when a canary comes due while a whole pass over idle namespaces runs, then a pass over its namespace steps it on time, before the whole pass ends', async () => {
    const { w, dueMs } = await progressingAmongIdle(IDLE);
    const timers = new FakeTimers(w.clock);
    const metrics = new StepperMetrics({ defaultMetrics: false });
    const seen: Seen = { ends: [] };
    // The whole pass starts 3 s before the step is due; 'test', with a run under way, has its turn first.
    w.clock.ms = dueMs - 3_000;
    await timers.run(runSchedule(
      { ...w.deps, metrics, kube: slowed(w, timers, slowIdleLists), sleep: timers.sleep, onPass: recorder(w, seen) },
      { mode: { kind: 'for', durationMs: 6_000 } },
    ));
    const whole = seen.ends.find((e) => e.pass === 'whole');
    expect(whole, 'the whole pass ended').to.not.equal(undefined);
    expect(whole!.at - (dueMs - 3_000)).to.be.greaterThan(6_000);
    expect(Date.parse(stateOf(w).lastStepAt!)).to.equal(dueMs);
    expect(seen.ends.filter((e) => e.pass === 'test').map((e) => e.at)).to.deep.equal([dueMs]);
    expect(splitWeight(w)).to.equal(15);
    const late = (await metrics.registry.getSingleMetric('davy_stepper_step_lateness_seconds')!.get()).values;
    expect(late.find((v) => (v as { metricName?: string }).metricName === 'davy_stepper_step_lateness_seconds_sum')?.value).to.equal(0);
    // Each pass is timed under its scope: the whole pass's seconds are not mixed with the namespace's.
    const passes = (await metrics.registry.getSingleMetric('davy_stepper_pass_duration_seconds')!.get()).values;
    const counted = (scope: string) => passes
      .find((v) => (v as { metricName?: string }).metricName === 'davy_stepper_pass_duration_seconds_count' && v.labels.scope === scope)?.value;
    expect([counted('whole'), counted('namespace')]).to.deep.equal([1, 1]);
  });

  it('when a whole pass and a pass over one namespace come due in it at the same moment, then one waits for the other\'s turn: the canary is stepped once, with no conflict', async () => {
    const { w, dueMs } = await progressingAmongIdle([]);
    const timers = new FakeTimers(w.clock);
    const seen: Seen = { ends: [] };
    // Both passes read the Canary before either's write lands, unless one waits for the other's turn.
    const slowWrites = (verb: string, kind: string): number => (verb === 'replace' && kind === 'Canary' ? 500 : 0);
    // The first whole pass ends at once; the next one is a poll (10 s) later, when the step is due.
    w.clock.ms = dueMs - 10_000;
    await timers.run(runSchedule(
      { ...w.deps, kube: slowed(w, timers, slowWrites), sleep: timers.sleep, onPass: recorder(w, seen) },
      { mode: { kind: 'for', durationMs: 15_000 } },
    ));
    const starts = seen.ends.map((e) => `${e.pass} ${Date.parse(e.report.startedAt) - dueMs}`);
    expect(starts).to.include.members(['whole 0', 'test 0']);
    expect(outcomesOf(seen, 'test').filter((o) => o !== 'idle')).to.deep.equal(['stepped']);
    expect(splitWeight(w)).to.equal(15);
  });

  it('when a whole pass reaches a namespace whose run comes due before the next whole pass would start, then it leaves the namespace to its own pass', async () => {
    const { w, dueMs } = await progressingAmongIdle(IDLE);
    const timers = new FakeTimers(w.clock);
    const seen: Seen = { ends: [] };
    w.clock.ms = dueMs - 3_000;
    await timers.run(runSchedule(
      { ...w.deps, kube: slowed(w, timers, slowIdleLists), sleep: timers.sleep, onPass: recorder(w, seen) },
      { mode: { kind: 'for', durationMs: 65_000 } },
    ));
    // 'test' comes due every 30 s; whole passes start at most 10 s (the poll) after one ends.
    const dues = [dueMs, dueMs + INTERVAL_MS, dueMs + 2 * INTERVAL_MS];
    const wholes = seen.ends.filter((e) => e.pass === 'whole').map((e) => e.report);
    const before = (r: PassReport): boolean => dues.some((due) => Date.parse(r.startedAt) > due - 10_000 && Date.parse(r.startedAt) < due);
    const soonBefore = wholes.slice(1).filter(before);
    expect(soonBefore.length, 'whole passes that began up to 10 s before a due').to.be.greaterThan(0);
    for (const r of soonBefore) expect(r.canaries.map((c) => c.namespace), r.startedAt).to.not.include('test');
    // Each step was its namespace pass's, at its due.
    expect(seen.ends.filter((e) => e.pass === 'test').map((e) => Date.parse(e.report.startedAt))).to.include.members(dues);
  });

  it('when stopped while a whole pass and a namespace pass run, then no canary is started after the stop, no pass starts, and the schedule returns without sleeping on', async () => {
    const { w, dueMs } = await progressingAmongIdle(IDLE);
    const timers = new FakeTimers(w.clock);
    const seen: Seen = { ends: [] };
    const stop = new AbortController();
    const stopAt = dueMs + 200;
    const slow = (verb: string, kind: string, namespace: string): number =>
      slowIdleLists(verb, kind, namespace) || (verb === 'replace' && kind === 'Canary' && namespace === 'test' ? 500 : 0);
    w.clock.ms = dueMs - 3_000;
    timers.at(stopAt, () => stop.abort());
    const result = await timers.run(runSchedule(
      { ...w.deps, kube: slowed(w, timers, slow), sleep: timers.sleep, onPass: recorder(w, seen) },
      { mode: { kind: 'watch' }, signal: stop.signal },
    ));
    expect(result).to.include({ passes: 1, namespacePasses: 1, stoppedBy: 'signal' });
    expect(seen.ends.every((e) => Date.parse(e.report.startedAt) < stopAt)).to.equal(true);
    // The idle namespaces not begun at the stop were not stepped; the canary whose step had begun finished it.
    const whole = seen.ends.find((e) => e.pass === 'whole')!.report.canaries;
    expect(whole.filter((c) => c.outcome === 'aborted').length).to.be.greaterThan(0);
    expect(outcomesOf(seen, 'test')).to.include('stepped');
    // Returned when the running passes ended: the whole pass's LIST under way at the stop, not a poll later.
    expect(w.clock.ms).to.be.at.most(stopAt + 2 * LIST_MS);
  });
});

/** Canaries in `test` and in each of `due`, analysing at weight 10 since the same moment (their next steps due together), the idle namespaces Initialized. */
async function progressingTogether(due: readonly string[], idle: readonly string[]): Promise<{ w: World; dueMs: number }> {
  const w = world();
  for (const ns of [...due, ...idle]) seedNamespace(w, ns);
  const initialized = (c: KubeObject): boolean => (c.status as { phase?: string } | undefined)?.phase === 'Initialized';
  await passUntil(w, (x) => x.kube.objects('Canary').every(initialized), 40);
  for (const ns of ['test', ...due]) await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1', 'podinfo', ns);
  await passUntil(w, (x) => ['test', ...due].every((ns) => stateOf(x, 'podinfo', ns).routes.canary >= 10), 50);
  await pass(w);
  const last = ['test', ...due].map((ns) => stateOf(w, 'podinfo', ns).lastStepAt);
  expect(new Set(last).size, 'the runs stepped together').to.equal(1);
  return { w, dueMs: Date.parse(last[0]!) + INTERVAL_MS };
}

describe('runner: namespaces that come due together', () => {
  const DUE = ['due-0', 'due-1', 'due-2'];
  /** Every Canary write in a namespace with a run under way takes 500 ms of fake time: a pass over one takes a second. */
  const slowRuns = (verb: string, kind: string, namespace: string): number =>
    slowIdleLists(verb, kind, namespace) || (verb.startsWith('replace') && kind === 'Canary' && !namespace.startsWith('idle-') ? 500 : 0);

  /**
   * When each namespace with a run under way was passed alone, ms after the runs came due, under a
   * schedule window that ends `windowMs` after the runs came due; and each one's canary weight after.
   */
  async function namespacePasses(windowMs: number, namespacePassCanaries?: number): Promise<{ starts: Record<string, number>; weights: number[] }> {
    const { w, dueMs } = await progressingTogether(DUE, IDLE);
    const timers = new FakeTimers(w.clock);
    const seen: Seen = { ends: [] };
    // The whole pass starts 3 s before the steps are due and is still over the idle namespaces when they are.
    w.clock.ms = dueMs - 3_000;
    await timers.run(runSchedule(
      { ...w.deps, kube: slowed(w, timers, slowRuns), sleep: timers.sleep, onPass: recorder(w, seen) },
      { mode: { kind: 'for', durationMs: 3_000 + windowMs }, ...(namespacePassCanaries === undefined ? {} : { namespacePassCanaries }) },
    ));
    return {
      starts: Object.fromEntries(seen.ends.filter((e) => e.pass !== 'whole').map((e) => [e.pass, Date.parse(e.report.startedAt) - dueMs])),
      weights: ['test', ...DUE].map((ns) => stateOf(w, 'podinfo', ns).routes.canary),
    };
  }

  it('when four namespaces\' runs come due in the same moment, then each is passed alone at that moment: none waits for another\'s pass', async () => {
    const { starts, weights } = await namespacePasses(3_000);
    expect(starts).to.deep.equal({ 'test': 0, 'due-0': 0, 'due-1': 0, 'due-2': 0 });
    expect(weights).to.deep.equal([15, 15, 15, 15]);
  });

  it('when the namespaces that came due hold more canaries than the namespace passes may, then they are passed in turn as passes end', async () => {
    // One canary at a time: each namespace waits for the one before it (a second each: two Canary writes).
    const { starts, weights } = await namespacePasses(3_500, 1);
    expect(Object.values(starts).sort((a, b) => a - b)).to.deep.equal([0, 1_000, 2_000, 3_000]);
    expect(weights).to.deep.equal([15, 15, 15, 15]);
  });

  it('when a namespace that came due is still waiting for room as the window closes, then it is not begun and the schedule returns when the passes end', async () => {
    // The fourth could begin at 3 s, when the window closes; the loop once spun there, never reaching the end of the third.
    const { starts, weights } = await namespacePasses(3_000, 1);
    expect(Object.values(starts).sort((a, b) => a - b)).to.deep.equal([0, 1_000, 2_000]);
    expect(weights.filter((w) => w === 15)).to.have.length(3);
    expect(weights.filter((w) => w === 10)).to.have.length(1);
  });
});

describe('runner: turns over namespaces', () => {
  it('when two passes ask for one namespace, then the second begins when the first ends, and a pass skips a namespace another began a turn in after it began', async () => {
    let now = 0;
    const turns = new Turns(() => now, 1_000, () => undefined);
    const early = turns.forPass();
    const late = turns.forPass();
    const order: string[] = [];
    const endLate = await late.begin('a');
    const waiting = early.begin('b').then(() => early.begin('a')).then((end) => order.push(end ? 'early began in a' : 'early skipped a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(turns.locks.busy('a')).to.equal(true);
    expect(order).to.deep.equal([]);
    now = 5_000;
    endLate!({ running: { due: new Date(7_000).toISOString() }, resting: {}, canaries: 3 });
    await waiting;
    // 'late' began its turn in 'a' after 'early' began: 'early' skips it, having waited.
    expect(order).to.deep.equal(['early skipped a']);
    expect(turns.dueBy(7_000, new Set())).to.deep.equal([{ namespace: 'a', at: 7_000, canaries: 3 }]);
    expect(turns.earliest(new Set(['a']))).to.equal(undefined);
    const third = turns.forPass();
    const endA = await third.begin('a');
    expect(endA, 'a pass that began after every turn in a').to.not.equal(undefined);
    // A run due no later than its turn: looked at again a minimum gap later, not at once.
    endA!({ running: { overdue: true }, resting: {}, canaries: 3 });
    expect(turns.earliest(new Set())).to.deep.equal({ namespace: 'a', at: 6_000, canaries: 3 });
    expect(turns.locks.busy('a')).to.equal(false);
  });
});
