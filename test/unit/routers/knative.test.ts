import { expect } from 'chai';
import { ANNOTATION_PRIMARY_REVISION, knativeRouter, repinned, type KnativeService } from '../../../src/routers/knative.js';
import { knativeObservations } from '../../../src/runner/knative.js';
import { LABEL_CANARY } from '../../../src/api/keys.js';
import { MemoryKube } from '../../support/memory-kube.js';
import { example, names, problem, reconcilesOnce, rollsOut, split, value, versions } from './cluster.js';

const ref = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo', namespace: 'test' };

/** The tutorial's Knative Service as Knative reports it once `revisions` were created (the last one ready unless told). */
function podinfo(revisions = ['podinfo-00001'], ready = revisions.at(-1)) {
  const ex = example('podinfo-canary-knative', 'podinfo-knative-service');
  setStatus(ex.kube, { observedGeneration: 1, latestCreatedRevisionName: revisions.at(-1)!, ...(ready ? { latestReadyRevisionName: ready } : {}) });
  return { ...ex, router: knativeRouter({ kube: ex.kube }) };
}
/** Knative's controller reporting `status` (undefined: nothing reported yet). */
function setStatus(kube: MemoryKube, status: KnativeService['status']): void {
  const { status: _old, ...service } = kube.peek<KnativeService>(ref)!;
  kube.seed({ ...service, ...(status ? { status } : {}) });
}
const serviceOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<KnativeService>(ref)!;
const traffic = (pinned: string, canary: number) => [
  { revisionName: pinned, latestRevision: false, percent: 100 - canary },
  { latestRevision: true, percent: canary },
];

describe('knative router (Flagger\'s Knative tutorial)', () => {
  it('when reconciled, then the latest created revision is pinned as primary and takes all traffic', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(serviceOf(ex).metadata.annotations?.[ANNOTATION_PRIMARY_REVISION]).to.equal('podinfo-00001');
    expect(serviceOf(ex).spec?.traffic).to.deep.equal(traffic('podinfo-00001', 0));
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(split(0));
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a new revision exists, then reconcile keeps the pin on the older one (it is not handed traffic)', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    setStatus(ex.kube, { ...serviceOf(ex).status, latestCreatedRevisionName: 'podinfo-00002' });
    await value(ex.router.reconcile(ex.canary));
    expect(serviceOf(ex).metadata.annotations?.[ANNOTATION_PRIMARY_REVISION]).to.equal('podinfo-00001');
    expect(serviceOf(ex).spec?.traffic).to.deep.equal(traffic('podinfo-00001', 0));
  });

  it('when the tutorial steps 10% to 50% then goes back, then spec.traffic splits the pinned and the latest revision at each step', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    await rollsOut(ex, [10, 20, 30, 40, 50], (weight) => {
      expect(serviceOf(ex).spec?.traffic).to.deep.equal(traffic('podinfo-00001', weight));
    });
  });

  it('when the revision is promoted, then the pin moves to it with the percents kept, and a second repin changes nothing', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    setStatus(ex.kube, { ...serviceOf(ex).status, latestCreatedRevisionName: 'podinfo-00002', latestReadyRevisionName: 'podinfo-00002' });
    await value(ex.router.setRoutes(ex.canary, split(50)));
    const next = repinned(serviceOf(ex), 'podinfo-00002')!;
    expect(next.metadata.annotations?.[ANNOTATION_PRIMARY_REVISION]).to.equal('podinfo-00002');
    expect(next.spec?.traffic).to.deep.equal(traffic('podinfo-00002', 50));
    expect(repinned(next, 'podinfo-00002')).to.equal(undefined);
  });

  it('when finalized, then the pin goes and Knative\'s default traffic is back, the rest of the Service kept', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, split(20)));
    await value(ex.router.finalize(ex.canary));
    expect(serviceOf(ex).metadata.annotations?.[ANNOTATION_PRIMARY_REVISION]).to.equal(undefined);
    expect(serviceOf(ex).spec?.traffic).to.deep.equal([{ latestRevision: true, percent: 100 }]);
    expect(serviceOf(ex).spec?.template).to.have.property('spec');
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
    const before = versions(ex.kube);
    await value(ex.router.finalize(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when the Service has no revision yet, then reconcile reports NotReconciled and writes nothing', async () => {
    const ex = podinfo();
    setStatus(ex.kube, undefined);
    const before = versions(ex.kube);
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('NotReconciled');
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when the Service is missing or its traffic is the user\'s own, then the routes are not read', async () => {
    const ex = podinfo();
    ex.kube.seed({ ...serviceOf(ex), spec: { ...serviceOf(ex).spec, traffic: [{ latestRevision: true, percent: 100 }] } });
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
    await ex.kube.delete(ref);
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('TargetMissing');
  });

  it('when mirroring or weights not adding up are asked, then InvalidRoutes and nothing written', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const before = versions(ex.kube);
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: true }))).to.equal('InvalidRoutes');
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 90, canary: 20, mirror: false }))).to.equal('InvalidRoutes');
    expect(versions(ex.kube)).to.deep.equal(before);
  });
});

describe('a Knative Service target as the runner observes it', () => {
  it('when nothing is pinned (before bootstrap, after finalize), then there is no copy and nothing held', () => {
    const ex = podinfo();
    const { target, copy } = knativeObservations(serviceOf(ex), ex.canary);
    expect(target).to.include({ exists: true, templateRevision: 'podinfo-00001', held: false });
    expect(copy).to.deep.equal({ exists: false });
  });

  it('when the pin names the latest revision, then nothing is held and the copy is that revision, ready', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const { target, copy } = knativeObservations(serviceOf(ex), ex.canary);
    expect(target).to.include({ exists: true, templateRevision: 'podinfo-00001', held: false, labeled: false });
    expect(copy).to.include({ exists: true, revision: 'podinfo-00001' });
    expect(copy.readiness).to.include({ available: 1, desired: 1 });
  });

  it('when a newer revision is created but not ready, then the target is held and the copy not ready yet', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const service = serviceOf(ex);
    service.metadata.labels = { [LABEL_CANARY]: 'podinfo' };
    service.status = { ...service.status, latestCreatedRevisionName: 'podinfo-00002', latestReadyRevisionName: 'podinfo-00001' };
    service.metadata.generation = 2;
    const { target, copy } = knativeObservations(service, ex.canary);
    expect(target).to.include({ templateRevision: 'podinfo-00002', held: true, labeled: true });
    expect(target.readiness).to.include({ available: 1 });
    expect(copy).to.include({ revision: 'podinfo-00002' });
    expect(copy.readiness).to.include({ available: 0 });
  });
});
