// What a pass costs: a fixed number of LIST calls per namespace and kind, no per-object reads, and
// no writes at all for canaries with nothing to change.
import { expect } from 'chai';
import { runPass } from '../../../src/runner/index.js';
import type { Verb } from '../../support/memory-kube.js';
import { flush, pass, passUntil, phaseIs, setImage, settle, splitWeight, world, type World } from './world.js';

/** Requests of one runPass, by verb (the simulated controllers are settled before). */
async function measure(w: World): Promise<Record<Verb, number>> {
  settle(w);
  await flush();
  const before = { ...w.kube.requests };
  await runPass(w.deps, w.options);
  const after = w.kube.requests;
  return Object.fromEntries(Object.entries(after).map(([verb, n]) => [verb, n - before[verb as Verb]])) as Record<Verb, number>;
}

const NO_WRITES = { create: 0, replace: 0, replaceStatus: 0, patch: 0, delete: 0 };
const { interval } = { interval: 30_000 };

describe('runner: an idle pass', () => {
  it('when an Initialized canary is passed over again at once, then nothing is written and nothing is read object by object', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    const requests = await measure(w);
    expect(requests).to.include(NO_WRITES);
    expect(requests.get).to.equal(0);
    // Canaries twice (before and after the namespace's objects), then Deployments, Services, HPAs, TrafficSplits.
    expect(requests.list).to.equal(6);
  });

  it('when a resting canary\'s interval has passed, then the periodic step writes nothing (only its clock would move)', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    w.clock.advance(interval * 3);
    expect(await measure(w)).to.include(NO_WRITES);
    w.clock.advance(interval * 3);
    expect(await measure(w)).to.include(NO_WRITES);
  });

  it('when an analysis step was just taken, then a pass before the next interval writes nothing', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 10, 50);
    await pass(w);
    w.clock.advance(1000);
    expect(await measure(w)).to.include(NO_WRITES);
    w.clock.advance(10_000);
    expect(await measure(w)).to.include(NO_WRITES);
  });

  it('when a Succeeded canary is passed over, then nothing is written', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, phaseIs('Succeeded'), 200);
    w.clock.advance(interval);
    expect(await measure(w)).to.include(NO_WRITES);
  });

  it('when there are no canaries, then a pass is one LIST', async () => {
    const w = world();
    await w.kube.delete({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' });
    const requests = await measure(w);
    expect(requests).to.include({ ...NO_WRITES, list: 1, get: 0 });
  });
});
