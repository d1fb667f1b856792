// The edges of a canary's life in the runner: a spec it refuses to step, and deletion through
// Davy's finalizer, which removes only Davy's objects and releases the hold.
import { expect } from 'chai';
import { ANNOTATION_STATE, FINALIZER, LABEL_CANARY, isDavyKey } from '../../../src/api/keys.js';
import { runPass } from '../../../src/runner/index.js';
import type { Service } from '../../../src/workloads/types.js';
import {
  canaryOf, editCanary, events, get, pass, passUntil, phaseIs, setImage, splitWeight, stateOf, userUpdate, workloadFacts, world, writes, type World,
} from './world.js';

const canaryRef = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' };
const names = (w: World, kind: string): string[] => w.kube.objects(kind).map((o) => o.metadata.name ?? '').sort();

describe('runner: an invalid spec', () => {
  it('when the spec is invalid, then the canary is not stepped and one Warning Event says why, once', async () => {
    const w = world();
    await editCanary(w, (c) => {
      c.spec.analysis = { ...c.spec.analysis, stepWeight: 60 };
    });
    const before = writes(w);
    const report = await runPass(w.deps, w.options);
    expect(report.canaries[0]).to.include({ outcome: 'invalid' });
    expect(canaryOf(w)!.metadata.annotations?.[ANNOTATION_STATE]).to.equal(undefined);
    const warnings = w.kube.objects('Event').filter((e) => e.type === 'Warning');
    expect(warnings).to.have.length(1);
    expect(String(warnings[0]!.message)).to.include('spec.analysis.stepWeight').and.include('must not exceed maxWeight');
    expect(writes(w) - before).to.equal(1);

    await runPass(w.deps, w.options);
    expect(writes(w) - before).to.equal(1);
    expect(get(w, 'Deployment', 'podinfo-canary')).to.equal(undefined);
  });

  it('when the spec is fixed, then the canary is stepped', async () => {
    const w = world();
    await editCanary(w, (c) => {
      c.spec.analysis = { ...c.spec.analysis, stepWeight: 60 };
    });
    await runPass(w.deps, w.options);
    await editCanary(w, (c) => {
      c.spec.analysis = { ...c.spec.analysis, stepWeight: 5 };
    });
    await passUntil(w, phaseIs('Initialized'), 20);
    expect(stateOf(w).phase).to.equal('Initialized');
  });
});

describe('runner: deleting a Canary', () => {
  async function midAnalysis(w: World): Promise<void> {
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 10, 50);
  }

  it('when a Canary is deleted mid-analysis, then Davy\'s objects go, the user\'s stay, the hold is released and the workload is plain again', async () => {
    const w = world();
    w.kube.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'test' }, data: { a: '1' } });
    await midAnalysis(w);
    await w.kube.delete(canaryRef);
    expect(canaryOf(w)!.metadata.deletionTimestamp).to.be.a('string');
    await passUntil(w, (x) => canaryOf(x) === undefined, 20);

    expect(names(w, 'Deployment')).to.deep.equal(['podinfo']);
    expect(names(w, 'HorizontalPodAutoscaler')).to.deep.equal(['podinfo']);
    expect(names(w, 'TrafficSplit')).to.deep.equal([]);
    expect(names(w, 'ConfigMap')).to.deep.equal(['unrelated']);
    // The apex Service Davy made is released to the user, selecting the stable pods: clients still call it.
    expect(names(w, 'Service')).to.deep.equal(['podinfo']);
    const apex = get<Service>(w, 'Service', 'podinfo')!;
    expect(apex.spec?.selector).to.deep.equal({ app: 'podinfo' });
    expect(apex.metadata.ownerReferences ?? []).to.deep.equal([]);
    const target = get(w, 'Deployment', 'podinfo')!;
    expect(Object.keys(target.metadata.labels ?? {}).filter(isDavyKey)).to.deep.equal([]);
    expect(Object.keys(target.metadata.annotations ?? {}).filter(isDavyKey)).to.deep.equal([]);
    expect(workloadFacts(w)).to.include({ paused: undefined, image: 'ghcr.io/stefanprodan/podinfo:6.0.1' });
    expect(w.pods.get('test/podinfo')?.replaced).to.equal(1);
    expect(events(w)).to.include('Terminating canary podinfo.test');
  });

  it('when an adopted apex Service existed before the Canary, then deletion gives it back as it was', async () => {
    const w = world();
    const original: Service = {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'podinfo', namespace: 'test', labels: { team: 'a' } },
      spec: { type: 'ClusterIP', selector: { app: 'podinfo', tier: 'web' }, ports: [{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }] },
    };
    w.kube.seed(original);
    await midAnalysis(w);
    await w.kube.delete(canaryRef);
    await passUntil(w, (x) => canaryOf(x) === undefined, 20);
    const apex = get<Service>(w, 'Service', 'podinfo')!;
    expect(apex.spec?.selector).to.deep.equal({ app: 'podinfo', tier: 'web' });
    expect(apex.metadata.labels).to.deep.equal({ team: 'a' });
    expect(Object.keys(apex.metadata.annotations ?? {}).filter(isDavyKey)).to.deep.equal([]);
  });

  it('when the routing kind can no longer be listed, then deletion still ends after the progress deadline: a Canary is never undeletable', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    w.kube.intercept((verb, ref) => (ref.kind === 'TrafficSplit' ? new Error('the server could not find the requested resource') : undefined));
    await w.kube.delete(canaryRef);
    await passUntil(w, (x) => canaryOf(x) === undefined, 40);
    expect(events(w)).to.include('Terminating canary podinfo.test');
    // What could be released was: the workload is plain again.
    const target = get(w, 'Deployment', 'podinfo')!;
    expect(Object.keys(target.metadata.labels ?? {}).filter(isDavyKey)).to.deep.equal([]);
  });

  it('when a Canary without Davy\'s finalizer goes away, then nothing is written for it', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    const c = canaryOf(w)!;
    await w.kube.replace({ ...c, metadata: { ...c.metadata, finalizers: ['example.com/keep'] } });
    await w.kube.delete(canaryRef);
    const before = writes(w);
    await pass(w);
    expect(writes(w) - before).to.equal(0);
    expect(canaryOf(w)!.metadata.finalizers).to.deep.equal(['example.com/keep']);
    expect(canaryOf(w)!.metadata.finalizers).not.to.include(FINALIZER);
  });

  it('when a never-stepped Canary is deleted without Davy\'s finalizer, then nothing is written for it', async () => {
    const w = world();
    const c = canaryOf(w)!;
    await w.kube.replace({ ...c, metadata: { ...c.metadata, finalizers: ['example.com/keep'] } });
    await w.kube.delete(canaryRef);
    const before = writes(w);
    const report = await runPass(w.deps, w.options);
    expect(report.canaries[0]).to.include({ outcome: 'idle' });
    expect(writes(w) - before).to.equal(0);
  });
});

describe('runner: state and spec edge cases', () => {
  it('when the state annotation is garbage, then the canary re-initialises from the cluster, keeps its stable revision, and says so once', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    const stable = stateOf(w).stableRevision;
    const c = canaryOf(w)!;
    await w.kube.replace({ ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, [ANNOTATION_STATE]: '{not json' } } });
    await passUntil(w, phaseIs('Initialized'), 20);
    expect(stateOf(w).stableRevision).to.equal(stable);
    const recovered = events(w).filter((m) => m.includes('not JSON'));
    expect(recovered).to.have.length(1);
  });

  it('when a canary is suspended, then it is reported once and nothing else is written, even as its objects drift', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    await editCanary(w, (c) => {
      c.spec.suspend = true;
    });
    await pass(w);
    const before = writes(w);
    const eventsBefore = events(w).length;
    await w.kube.delete({ apiVersion: 'v1', kind: 'Service', name: 'podinfo-canary', namespace: 'test' });
    const afterDelete = writes(w);
    w.clock.advance(60_000);
    await pass(w);
    w.clock.advance(60_000);
    await pass(w);
    expect(writes(w) - afterDelete).to.equal(0);
    expect(afterDelete - before).to.equal(1);
    expect(events(w)).to.have.length(eventsBefore);
    expect(get(w, 'Service', 'podinfo-canary')).to.equal(undefined);
  });
});

describe('runner: objects that are not Davy\'s to take', () => {
  it('when another Canary already labels the workload, then this one is not bootstrapped onto it and a Warning says whose it is', async () => {
    const w = world();
    await userUpdate(w, 'podinfo', (d) => {
      d.metadata.labels = { ...d.metadata.labels, [LABEL_CANARY]: 'someone-else' };
    });
    const report = await runPass(w.deps, w.options);
    expect(report.canaries[0]).to.include({ outcome: 'error' });
    expect(get(w, 'Deployment', 'podinfo')!.metadata.labels?.[LABEL_CANARY]).to.equal('someone-else');
    expect(get(w, 'Deployment', 'podinfo-canary')).to.equal(undefined);
    expect(events(w).filter((m) => m.includes('belongs to Canary someone-else'))).to.have.length(1);
    await runPass(w.deps, w.options);
    expect(events(w).filter((m) => m.includes('belongs to Canary someone-else'))).to.have.length(1);
  });
});
