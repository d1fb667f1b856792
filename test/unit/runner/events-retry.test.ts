// Events under API faults (issue 11): an Event write that fails for a passing reason (5xx, 429, a
// connection error) is retried under its name, so a rollout's events are all there, once each; a
// refusal (403) is not retried, and is logged.
import { expect } from 'chai';
import { ApiError } from '../../../src/kube/client.js';
import { events, passUntil, phaseIs, setImage, world, type World } from './world.js';

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
