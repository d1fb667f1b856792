// Whole rollouts driven by runner passes over MemoryKube: the end states of the OSM tutorial
// (objects, routes, annotations, state, events), not the calls that led there.
import { expect } from 'chai';
import {
  ANNOTATION_COPY_REVISION, ANNOTATION_HELD, ANNOTATION_PENDING_REVISION, ANNOTATION_STABLE_REVISION, FINALIZER, LABEL_CANARY,
} from '../../../src/api/keys.js';
import type { KubeObject } from '../../../src/kube/client.js';
import type { HorizontalPodAutoscaler } from '../../../src/workloads/types.js';
import { canaryOf, deployment, events, get, passUntil, workloadFacts, phaseIs, setImage, splitWeight, stateOf, world, type World } from './world.js';

const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';
const revisionOf = (w: World, name = 'podinfo'): string => workloadFacts(w, name).revision;
const names = (w: World, kind: string): string[] => w.kube.objects(kind).map((o) => o.metadata.name ?? '').sort();

/** Weights the TrafficSplit showed after each pass, without repeats. */
function weightLog(): { weights: number[]; each: (w: World) => void } {
  const weights: number[] = [];
  return {
    weights,
    each: (w) => {
      const weight = splitWeight(w);
      if (weight !== undefined && weight !== weights.at(-1)) weights.push(weight);
    },
  };
}

async function initialized(): Promise<World> {
  const w = world();
  await passUntil(w, phaseIs('Initialized'), 20);
  return w;
}

describe('runner: the OSM podinfo tutorial', () => {
  it('when a canary is new, then passes create the copy at 0, the Services, the TrafficSplit at 100/0 and the HPA copy, and label the workload', async () => {
    const w = world();
    const stable = revisionOf(w);
    await passUntil(w, phaseIs('Initialized'), 20);
    const target = get(w, 'Deployment', 'podinfo')!;
    expect(target.metadata.labels?.[LABEL_CANARY]).to.equal('podinfo');
    expect(target.metadata.annotations?.[ANNOTATION_STABLE_REVISION]).to.equal(stable);
    expect(workloadFacts(w).paused).to.equal(undefined);
    const copy = deployment(w, 'podinfo-canary')!;
    expect(copy.spec?.replicas).to.equal(0);
    expect(copy.spec?.selector?.matchLabels?.app).to.equal('podinfo-canary');
    expect(copy.metadata.annotations?.[ANNOTATION_COPY_REVISION]).to.equal(stable);
    expect(names(w, 'Service')).to.deep.equal(['podinfo', 'podinfo-canary', 'podinfo-primary']);
    expect(names(w, 'HorizontalPodAutoscaler')).to.deep.equal(['podinfo', 'podinfo-canary']);
    expect(get<HorizontalPodAutoscaler>(w, 'HorizontalPodAutoscaler', 'podinfo-canary')!.spec?.scaleTargetRef?.name).to.equal('podinfo-canary');
    expect(splitWeight(w)).to.equal(0);
    expect(canaryOf(w)!.metadata.finalizers).to.include(FINALIZER);
    expect(canaryOf(w)!.status).to.include({ phase: 'Initialized', canaryWeight: 0 });
    expect(events(w)).to.deep.equal(['Initialization done! podinfo.test']);
  });

  it('when a new image is pushed, then the weights go 5..50 once each, the hold is released, and the copy ends at zero', async () => {
    const w = await initialized();
    await setImage(w, NEW_IMAGE);
    const pending = revisionOf(w);
    expect(get(w, 'Deployment', 'podinfo')!.metadata.annotations?.[ANNOTATION_HELD]).to.equal('true');
    const log = weightLog();
    await passUntil(w, phaseIs('Succeeded'), 200, log.each);

    expect(log.weights).to.deep.equal([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 0]);
    expect(workloadFacts(w)).to.include({ image: NEW_IMAGE, paused: undefined });
    const target = get(w, 'Deployment', 'podinfo')!;
    expect(target.metadata.annotations).to.include({ [ANNOTATION_STABLE_REVISION]: pending });
    expect(target.metadata.annotations).not.to.have.any.keys(ANNOTATION_HELD, ANNOTATION_PENDING_REVISION);
    expect(w.pods.get('test/podinfo')).to.deep.equal({ revision: pending, replaced: 1 });
    const copy = deployment(w, 'podinfo-canary')!;
    expect(copy.spec?.replicas).to.equal(0);
    expect(copy.metadata.annotations?.[ANNOTATION_COPY_REVISION]).to.equal(pending);
    expect(stateOf(w)).to.include({ phase: 'Succeeded', stableRevision: pending, failedChecks: 0 });
    expect(canaryOf(w)!.status).to.include({ phase: 'Succeeded', canaryWeight: 0, lastPromotedSpec: pending });
  });

  it('when the analysis succeeds, then the Events tell the tutorial\'s story once each', async () => {
    const w = await initialized();
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Succeeded'), 200);
    const stream = events(w);
    expect(stream.slice(0, 4)).to.deep.equal([
      'Initialization done! podinfo.test',
      'New revision detected! Scaling up podinfo.test',
      'Starting canary analysis for podinfo.test',
      'Pre-rollout check acceptance-test passed',
    ]);
    const advances = stream.filter((m) => m.startsWith('Advance podinfo.test canary weight'));
    expect(advances).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map((n) => `Advance podinfo.test canary weight ${n}`));
    expect(stream.at(-1)).to.equal('Promotion completed! Scaling down podinfo.test');
    const event = w.kube.objects('Event')[0]! as KubeObject & { involvedObject: Record<string, unknown> };
    expect(event).to.deep.include({ reason: 'Synced', source: { component: 'davy' } });
    expect(event.involvedObject).to.include({ kind: 'Canary', name: 'podinfo', namespace: 'test' });
  });

  it('when the webhooks are called, then the pre-rollout test runs once and the load test on each analysis step', async () => {
    const w = await initialized();
    await setImage(w, NEW_IMAGE);
    await passUntil(w, phaseIs('Succeeded'), 200);
    const calls = w.hookCalls.map((c) => c.hook.name);
    expect(calls.filter((n) => n === 'acceptance-test')).to.have.length(1);
    expect(calls.filter((n) => n === 'load-test').length).to.be.at.least(10);
    expect(w.hookCalls[0]).to.deep.include({ canary: { name: 'podinfo', namespace: 'test' }, phase: 'Progressing' });
  });

  it('when the success rate is 60%, then it halts, rolls back after 5 failed checks, and the user\'s pods never restart', async () => {
    const w = await initialized();
    const stable = revisionOf(w);
    await setImage(w, NEW_IMAGE);
    w.metric.answer = (query) => (query.includes('histogram_quantile') ? undefined : { kind: 'ok', value: 60 });
    const log = weightLog();
    await passUntil(w, phaseIs('Failed'), 200, log.each);

    const state = stateOf(w);
    expect(state).to.include({ phase: 'Failed', failedChecks: 5, reason: 'FailedChecksThreshold', stableRevision: stable });
    const halted = state.checks.filter((c) => c.name === 'request-success-rate' && c.verdict === 'failed');
    expect(halted.length).to.be.at.least(1);
    expect(halted[0]).to.include({ value: 60, min: 99 });
    expect(events(w)).to.include('Halt podinfo.test advancement success rate 60.00% < 99%');
    expect(events(w)).to.include('Rolling back podinfo.test failed checks threshold reached 5');
    expect(events(w).at(-1)).to.equal('Canary failed! Scaling down podinfo.test');
    expect(w.pods.get('test/podinfo')).to.deep.equal({ revision: stable, replaced: 0 });
    expect(workloadFacts(w).paused).to.equal(true);
    expect(get(w, 'Deployment', 'podinfo')!.metadata.annotations).to.include({ [ANNOTATION_HELD]: 'true', [ANNOTATION_STABLE_REVISION]: stable });
    expect(workloadFacts(w, 'podinfo-canary').replicas).to.equal(0);
    expect(splitWeight(w)).to.equal(0);
    // The first step after the pre-rollout check advances before any metric is read (Flagger's order).
    expect(log.weights).to.deep.equal([0, 5, 0]);
  });

  it('when a newer image arrives mid-analysis, then the analysis restarts on it at weight 0 and promotes it', async () => {
    const w = await initialized();
    await setImage(w, NEW_IMAGE);
    await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 15, 100);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.2');
    const newest = revisionOf(w);
    await passUntil(w, phaseIs('Succeeded'), 200);
    expect(events(w)).to.include('New revision detected! Restarting analysis for podinfo.test');
    expect(stateOf(w).stableRevision).to.equal(newest);
    expect(w.pods.get('test/podinfo')).to.deep.equal({ revision: newest, replaced: 1 });
  });
});
