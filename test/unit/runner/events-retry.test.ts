// Events under API faults (issue 11): an Event write that fails for a passing reason (5xx, 429, a
// connection error) is retried under its name, so a rollout's events are all there, once each; a
// refusal (403) is not retried, and is logged.
import { expect } from 'chai';
import { ApiError, ConflictError } from '../../../src/kube/client.js';
import { eventObject } from '../../../src/runner/events.js';
import { UNSENT_EVENTS_LIMIT } from '../../../src/stepper/index.js';
import { canaryOf, events, pass, passUntil, phaseIs, setImage, stateOf, tap, world, type World } from './world.js';

/** Fails the first attempt at writing each Event with `error`, and counts those failures. */
function failFirstEventWrites(w: World, error: () => Error): { failed: number } {
  const seen = new Set<string>();
  const counter = { failed: 0 };
  w.kube.intercept((verb, ref) => {
    if (verb !== 'create' || ref.kind !== 'Event' || seen.has(ref.name)) return undefined;
    seen.add(ref.name);
    counter.failed += 1;
    return error();
  });
  return counter;
}

async function blueGreenRelease(w: World): Promise<string[]> {
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  await passUntil(w, phaseIs('Succeeded'), 200);
  return events(w).filter((m) => m.includes('canary iteration'));
}

describe('runner: Events under API faults', function () {
  this.timeout(60_000);
  const iterations = [1, 2, 3, 4, 5].map((i) => `Advance podinfo.test canary iteration ${i}/5`);

  for (const [name, error] of [
    ['500', () => new ApiError('etcd leader changed', 500, 'InternalError')],
    ['429', () => new ApiError('too many requests', 429, 'TooManyRequests')],
    ['a connection reset', () => new Error('socket hang up')],
    // Only AlreadyExists means stored; a Conflict on a create stored nothing (CI lost an event this way).
    ['409 Conflict', () => new ConflictError('the object has been modified', 409, 'Conflict')],
  ] as const) {
    it(`when the first write of every Event fails with ${name}, then every event is recorded once`, async () => {
      const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
      const faults = failFirstEventWrites(w, error);
      expect(await blueGreenRelease(w)).to.deep.equal(iterations);
      expect(faults.failed).to.be.greaterThan(iterations.length);
    });
  }

  it('when Event writes are refused with 403, then they are not retried and the rollout still completes', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    const attempted: string[] = [];
    w.kube.intercept((verb, ref) => (verb === 'create' && ref.kind === 'Event' ? (attempted.push(ref.name), new ApiError('events is forbidden', 403, 'Forbidden')) : undefined));
    expect(await blueGreenRelease(w)).to.deep.equal([]);
    expect(attempted.length).to.be.greaterThan(0);
    expect(new Set(attempted).size, 'one attempt per Event').to.equal(attempted.length);
    expect(w.kube.objects('Event')).to.have.length(0);
  });
});

describe('runner: Events carried to the next pass', function () {
  this.timeout(60_000);

  /** Fails every Event write while `down.is` holds, with a 503; counts attempts per name. */
  function eventsDown(w: World): { is: boolean; attempts: Map<string, number> } {
    const down = { is: true, attempts: new Map<string, number>() };
    w.kube.intercept((verb, ref) => {
      if (verb !== 'create' || ref.kind !== 'Event') return undefined;
      down.attempts.set(ref.name, (down.attempts.get(ref.name) ?? 0) + 1);
      return down.is ? new ApiError('the server is currently unable to handle the request', 503, 'ServiceUnavailable') : undefined;
    });
    return down;
  }

  it('when every attempt at an Event fails within its pass, then the state carries it and the next pass writes it, once, under its name and time', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    const down = eventsDown(w);
    await passUntil(w, phaseIs('Initialized'), 20);
    expect(events(w)).to.deep.equal([]);
    const carried = stateOf(w).unsentEvents ?? [];
    expect(carried.map((e) => e.message)).to.include('Initialization done! podinfo.test');
    down.is = false;
    await pass(w);
    expect(events(w).filter((m) => m === 'Initialization done! podinfo.test')).to.have.length(1);
    expect(stateOf(w).unsentEvents).to.equal(undefined);
    const stored = w.kube.objects('Event').find((e) => e.message === 'Initialization done! podinfo.test')!;
    const record = carried.find((e) => e.message === 'Initialization done! podinfo.test')!;
    expect(stored.metadata.name).to.equal(record.name);
    expect(stored.firstTimestamp).to.equal(record.at);
    // A further pass writes nothing again.
    const before = w.kube.objects('Event').length;
    await pass(w);
    expect(w.kube.objects('Event')).to.have.length(before);
  });

  it('when the Event API stays down over a whole release, then the state keeps the latest ten, and they are written once it is back', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    const down = eventsDown(w);
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, phaseIs('Succeeded'), 200);
    const carried = stateOf(w).unsentEvents ?? [];
    expect(carried).to.have.length(UNSENT_EVENTS_LIMIT);
    expect(carried.at(-1)?.message).to.match(/^Promotion completed!/);
    down.is = false;
    await pass(w);
    expect(events(w)).to.deep.equal(carried.map((e) => e.message));
    expect(stateOf(w).unsentEvents).to.equal(undefined);
  });

  it('when a carried Event was stored but its answer lost, then the next pass meets AlreadyExists and writes no second one', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    const down = eventsDown(w);
    await passUntil(w, phaseIs('Initialized'), 20);
    const carried = stateOf(w).unsentEvents ?? [];
    expect(carried.length).to.be.greaterThan(0);
    // The write went through after all (the answer was lost): the object is there.
    down.is = false;
    const first = carried[0]!;
    await w.kube.create(eventObject(canaryOf(w)!, first, first.name, new Date(first.at)));
    await pass(w);
    expect(events(w).filter((m) => m === first.message)).to.have.length(1);
    expect(stateOf(w).unsentEvents).to.equal(undefined);
  });
});

describe('runner: a state write applied whose answer was lost', function () {
  this.timeout(60_000);

  it('when every third state write is applied but its answer lost, then the release still emits each of its events once', async () => {
    const w = world('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
    let writes = 0;
    w.deps.kube = tap(w.kube, {
      after: (verb, _object, ref) => (verb === 'replace' && ref.kind === 'Canary' && ++writes % 3 === 0 ? new Error('socket hang up') : undefined),
    });
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, phaseIs('Succeeded'), 200);
    expect(writes).to.be.greaterThan(5);
    const all = events(w);
    for (const message of ['Initialization done! podinfo.test', ...[1, 2, 3, 4, 5].map((i) => `Advance podinfo.test canary iteration ${i}/5`)]) {
      expect(all.filter((m) => m === message), `${message}\n${all.join('\n')}`).to.have.length(1);
    }
    expect(all.filter((m) => m.startsWith('Promotion completed!'))).to.have.length(1);
  });
});
