// Issue 15, item 3: with watches, a change is stepped at once and resting canaries cost nothing
// between resyncs. The schedule with a change source (a double of changes.ts's ChangeSource, which
// its own tests cover): a change heard in a namespace passes it at once, whole passes come at the
// resync period while the watches run and at the poll interval while they do not, and a gap in the
// watches starts a whole pass at once. All in fake time (FakeTimers).
import { expect } from 'chai';
import type { ChangeListener, ChangeSource } from '../../../src/runner/changes.js';
import { runSchedule, type PassReport } from '../../../src/runner/index.js';
import { Turns } from '../../../src/runner/turns.js';
import { FakeTimers } from './timers.js';
import { passUntil, phaseIs, setImage, stateOf, world, type World } from './world.js';

/** A change source the test drives: `hear` and `gap` call the schedule's listener; `up` is its health. */
class Heard implements ChangeSource {
  up = true;
  private listener: ChangeListener | undefined;
  stopped = false;

  start(listener: ChangeListener, signal: AbortSignal): Promise<void> {
    this.listener = listener;
    return new Promise((resolve) => signal.addEventListener('abort', () => {
      this.stopped = true;
      resolve();
    }, { once: true }));
  }

  healthy(): boolean {
    return this.up;
  }

  hear(namespace: string): void {
    this.listener?.namespace(namespace);
  }

  gap(): void {
    this.listener?.gap();
  }
}

interface End {
  pass: string;
  at: number;
  report: PassReport;
}

async function initialized(): Promise<World> {
  const w = world();
  await passUntil(w, phaseIs('Initialized'), 40);
  return w;
}

function schedule(w: World, timers: FakeTimers, ends: End[], feed: Heard | undefined, options: { windowMs: number; pollMs: number; resyncMs?: number }) {
  const start = w.clock.ms;
  return timers.run(runSchedule(
    {
      ...w.deps, sleep: timers.sleep,
      onPass: (report, namespace) => ends.push({ pass: namespace ?? 'whole', at: w.clock.ms - start, report }),
    },
    {
      mode: { kind: 'for', durationMs: options.windowMs },
      pollIntervalMs: options.pollMs,
      ...(feed ? { changes: feed } : {}),
      ...(options.resyncMs === undefined ? {} : { resyncMs: options.resyncMs }),
    },
  ));
}

const wholeStarts = (ends: readonly End[]): number[] => ends.filter((e) => e.pass === 'whole').map((e) => e.at);

describe('runner: the schedule with watches', () => {
  it('when a watch hears a new revision in a namespace, then that namespace is passed at once and the canary starts, long before the next whole pass', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const feed = new Heard();
    const ends: End[] = [];
    const start = w.clock.ms;
    timers.at(start + 5_000, () => {
      void setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1').then(() => feed.hear('test'));
    });
    await schedule(w, timers, ends, feed, { windowMs: 20_000, pollMs: 60_000, resyncMs: 60_000 });
    const own = ends.find((e) => e.pass === 'test');
    expect(own, `a pass over the namespace; passes: ${JSON.stringify(ends.map((e) => [e.pass, e.at]))}`).to.not.equal(undefined);
    expect(own!.at).to.be.within(5_000, 6_000);
    expect(own!.report.canaries.map((c) => c.outcome)).to.deep.equal(['stepped']);
    expect(stateOf(w).phase).to.equal('Progressing');
    expect(wholeStarts(ends), 'one whole pass, at the start').to.have.length(1);
    expect(feed.stopped, 'the watches stop with the schedule').to.equal(true);
  });

  it('when a canary cannot be stepped (its state write fails), then its namespace is passed again at the poll interval, not at the resync', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const feed = new Heard();
    const ends: End[] = [];
    timers.at(w.clock.ms + 5_000, () => {
      void setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1').then(() => {
        w.kube.failNext('replace', new Error('injected: etcdserver: leader changed'), 'Canary');
        feed.hear('test');
      });
    });
    await schedule(w, timers, ends, feed, { windowMs: 20_000, pollMs: 4_000, resyncMs: 60_000 });
    const own = ends.filter((e) => e.pass === 'test').map((e) => [e.at, e.report.canaries.map((c) => c.outcome).join()]);
    expect(own.slice(0, 2), JSON.stringify(ends.map((e) => [e.pass, e.at]))).to.deep.equal([[5_000, 'error'], [9_000, 'stepped']]);
    expect(stateOf(w).phase).to.equal('Progressing');
  });

  it('when nothing is heard, then the new revision waits for the next whole pass (the same run, no watch)', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const ends: End[] = [];
    timers.at(w.clock.ms + 5_000, () => void setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1'));
    await schedule(w, timers, ends, new Heard(), { windowMs: 20_000, pollMs: 60_000, resyncMs: 60_000 });
    expect(ends.map((e) => e.pass)).to.deep.equal(['whole']);
    expect(stateOf(w).phase).to.equal('Initialized');
  });

  it('while the watches run, then whole passes come at the resync period, not at the poll interval nor at the resting canary\'s interval', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const ends: End[] = [];
    await schedule(w, timers, ends, new Heard(), { windowMs: 65_000, pollMs: 5_000, resyncMs: 30_000 });
    expect(wholeStarts(ends)).to.deep.equal([0, 30_000, 60_000]);
  });

  it('when the watches cannot run, then whole passes come at the poll interval as without them', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const feed = new Heard();
    feed.up = false;
    const ends: End[] = [];
    await schedule(w, timers, ends, feed, { windowMs: 21_000, pollMs: 5_000, resyncMs: 30_000 });
    expect(wholeStarts(ends)).to.deep.equal([0, 5_000, 10_000, 15_000, 20_000]);
  });

  it('when --watch runs a whole pass and no namespace is due, then the loop waits to be woken, never for an endless time (which node would cut to 1 ms, spinning)', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const waits: number[] = [];
    const stop = new AbortController();
    timers.at(w.clock.ms + 125_000, () => stop.abort());
    await timers.run(runSchedule(
      { ...w.deps, sleep: (ms, signal) => (waits.push(ms), timers.sleep(ms, signal)) },
      { mode: { kind: 'watch' }, pollIntervalMs: 5_000, changes: new Heard(), resyncMs: 60_000, signal: stop.signal },
    ));
    expect(waits.length).to.be.greaterThan(0);
    expect(waits.filter((ms) => !Number.isFinite(ms))).to.deep.equal([]);
  });

  it('when a watch missed events, then a whole pass starts at once', async () => {
    const w = await initialized();
    const timers = new FakeTimers(w.clock);
    const feed = new Heard();
    const ends: End[] = [];
    timers.at(w.clock.ms + 12_000, () => feed.gap());
    await schedule(w, timers, ends, feed, { windowMs: 40_000, pollMs: 5_000, resyncMs: 30_000 });
    expect(wholeStarts(ends)).to.deep.equal([0, 12_000]);
  });

  it('when a change is heard while a pass is in the namespace, then the namespace is due again once that turn ends', async () => {
    let now = 1_000;
    const turns = new Turns(() => now, 1_000, () => undefined);
    const end = await turns.forPass().begin('test');
    now = 2_000;
    turns.nudge('test');
    expect(turns.dueBy(now, new Set()), 'not while the turn holds the namespace').to.deep.equal([]);
    // The turn ends with nothing under way: its own due is none, and the change heard is kept.
    end!({ running: {}, resting: {}, canaries: 3 });
    expect(turns.dueBy(now, new Set())).to.deep.equal([{ namespace: 'test', at: 2_000, canaries: 3 }]);
    turns.take('test');
    expect(turns.dueBy(now, new Set()), 'taken by the pass over it alone').to.deep.equal([]);
  });
});
