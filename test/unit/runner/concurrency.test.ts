// Optimistic concurrency: the state is written with the resourceVersion that was read, a runner
// that loses that race skips the canary, and two runners over the same canaries never advance a
// weight twice nor move traffic back.
import { expect } from 'chai';
import { ConflictError, type KubeObject, type ListOptions } from '../../../src/kube/client.js';
import { runPass } from '../../../src/runner/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import {
  canaryOf, changes, events, flush, pass, passUntil, phaseIs, setImage, settle, splitWeight, splitWrites, stateOf, tap, world, type World,
} from './world.js';
import { TARGET_WRITE_ATTEMPTS } from '../../../src/runner/apply.js';

const conflict = (): ConflictError => new ConflictError('the object has been modified', 409, 'Conflict');

async function released(): Promise<World> {
  const w = world();
  await passUntil(w, phaseIs('Initialized'), 20);
  await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
  return w;
}

describe('runner: concurrent steppers', () => {
  it('when the state write meets a 409, then the canary is skipped: no action, no event, no status', async () => {
    const w = await released();
    const eventsBefore = events(w);
    const statusBefore = stateOf(w);
    w.kube.failNext('replace', conflict(), 'Canary');
    const report = await runPass(w.deps, w.options);
    expect(report.canaries).to.deep.include({ namespace: 'test', name: 'podinfo', outcome: 'conflict', phase: 'Initialized', message: 'another stepper wrote the state first' });
    expect(stateOf(w)).to.deep.equal(statusBefore);
    expect(events(w)).to.deep.equal(eventsBefore);
    expect(w.kube.peek({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-canary', namespace: 'test' })?.spec).to.include({ replicas: 0 });

    await pass(w);
    expect(stateOf(w).phase).to.equal('Progressing');
    expect(events(w)).to.include('New revision detected! Scaling up podinfo.test');
  });

  it('when a controller updates the copy several times while it is written, then the write is retried and the step completes', async () => {
    const w = await released();
    // The Deployment controller's status updates on a copy it has just created: a 409 each.
    for (let i = 1; i < TARGET_WRITE_ATTEMPTS; i += 1) w.kube.failNext('replace', conflict(), 'Deployment');
    const report = await runPass(w.deps, w.options);
    expect(report.canaries.map((c) => c.outcome)).to.deep.equal(['stepped']);
    expect(w.kube.peek({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-canary', namespace: 'test' })?.spec)
      .to.nested.include({ 'template.spec.containers[0].image': 'ghcr.io/stefanprodan/podinfo:6.0.1' });
    expect((canaryOf(w)?.status as { phase?: string } | undefined)?.phase).to.equal('Progressing');
  });

  it('when the copy\'s write keeps losing races, then the pass reports the error, the status waits, and the next pass completes the step', async () => {
    const w = await released();
    for (let i = 0; i < TARGET_WRITE_ATTEMPTS; i += 1) w.kube.failNext('replace', conflict(), 'Deployment');
    const report = await runPass(w.deps, w.options);
    expect(report.canaries.map((c) => c.outcome)).to.deep.equal(['error']);
    expect(stateOf(w).phase).to.equal('Progressing');
    expect((canaryOf(w)?.status as { phase?: string } | undefined)?.phase).to.equal('Initialized');
    await pass(w);
    expect((canaryOf(w)?.status as { phase?: string } | undefined)?.phase).to.equal('Progressing');
    expect(events(w).filter((m) => m === 'New revision detected! Scaling up podinfo.test')).to.have.length(1);
  });

  it('when two runners pass over the same canary at the same moments, then each weight is set once, in order, and the run succeeds', async () => {
    const w = await released();
    const written: number[] = [];
    const second = { ...w.deps, kube: tap(w.kube, { after: splitWrites(written) }), logger: silentLogger(), reported: new Set<string>() };
    const first = { ...w.deps, kube: tap(w.kube, { after: splitWrites(written) }) };
    const outcomes: string[] = [];
    for (let i = 0; i < 200 && stateOf(w).phase !== 'Succeeded'; i += 1) {
      settle(w);
      await flush();
      const reports = await Promise.all([runPass(first, w.options), runPass(second, w.options)]);
      outcomes.push(...reports.flatMap((r) => r.canaries.map((c) => c.outcome)));
      await flush();
      w.clock.advance(5_000);
    }
    expect(stateOf(w).phase).to.equal('Succeeded');
    expect(changes(written)).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 0]);
    expect(outcomes).to.include('conflict');
    const advances = events(w).filter((m) => m.startsWith('Advance podinfo.test canary weight'));
    expect(advances).to.have.length(new Set(advances).size);
  });

  it('when a runner that read an old state re-applies its intent after another one advanced, then traffic does not move back', async () => {
    const w = await released();
    await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 10, 50);
    w.clock.ms = Date.parse(stateOf(w).lastStepAt!) + 30_000; // the next step is due now
    const written: number[] = [];
    // The stale runner reads everything, then waits while the other one steps and sets the next weight.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let listed = 0;
    const stale = {
      ...w.deps,
      // A second behind: for this runner the next step is not due yet, so it re-applies the old intent.
      clock: () => new Date(w.clock.ms - 1000),
      logger: silentLogger(),
      reported: new Set<string>(),
      kube: {
        ...tap(w.kube, { after: splitWrites(written) }),
        list: async <T extends KubeObject>(apiVersion: string, kind: string, namespace?: string, options?: ListOptions) => {
          const result = await w.kube.list<T>(apiVersion, kind, namespace, options);
          // After its second LIST of Canaries, the stale runner stops until the other one is done.
          if (kind === 'Canary' && ++listed === 2) await held;
          return result;
        },
      },
    };
    const before = splitWeight(w)!;
    const staleRun = runPass(stale, w.options);
    await flush();
    await runPass({ ...w.deps, kube: tap(w.kube, { after: splitWrites(written) }) }, w.options);
    const advanced = splitWeight(w)!;
    expect(advanced).to.be.greaterThan(before);
    release();
    const report = await staleRun;
    expect(report.canaries[0]!.outcome).to.equal('idle');
    expect(splitWeight(w)).to.equal(advanced);
    expect(changes(written)).to.deep.equal([advanced]);
  });
});
