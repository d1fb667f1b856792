import { expect } from 'chai';
import { ANNOTATION_ADOPTED, LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { TrafficSplitProvider } from '../../../src/api/providers.js';
import type { Canary } from '../../../src/api/types.js';
import { parseQuantity, trafficSplitRouter, type TrafficSplit } from '../../../src/routers/traffic-split.js';
import { example, names, problem, value, versions } from './cluster.js';

const splitRef = (apiVersion = 'split.smi-spec.io/v1alpha2') => ({ apiVersion, kind: 'TrafficSplit', name: 'podinfo', namespace: 'test' });

function podinfo(provider: TrafficSplitProvider = 'osm', edit: (canary: Canary) => void = () => undefined) {
  const ex = example('podinfo-canary-osm', 'podinfo-deployment');
  ex.canary.spec.provider = provider;
  edit(ex.canary);
  return { ...ex, router: trafficSplitRouter(provider)({ kube: ex.kube }) };
}

const splitOf = (ex: ReturnType<typeof podinfo>, apiVersion?: string) => ex.kube.peek<TrafficSplit>(splitRef(apiVersion));

describe('TrafficSplit router (OSM podinfo)', () => {
  it('when reconciled, then TrafficSplit podinfo (v1alpha2) splits podinfo 100/0 between -primary and -canary', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const split = splitOf(ex)!;
    expect(split.apiVersion).to.equal('split.smi-spec.io/v1alpha2');
    expect(split.spec).to.deep.equal({
      service: 'podinfo',
      backends: [{ service: 'podinfo-primary', weight: 100 }, { service: 'podinfo-canary', weight: 0 }],
    });
    expect(split.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('podinfo');
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo', 'podinfo-canary', 'podinfo-primary']);
  });

  it('when reconciled twice, then the second pass writes nothing', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const before = versions(ex.kube);
    await value(ex.router.reconcile(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when routes are set to 95/5, then the weights are integers, getRoutes reads them, and reconcile keeps them', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, { primary: 95, canary: 5, mirror: false }));
    expect(splitOf(ex)?.spec?.backends.map((b) => b.weight)).to.deep.equal([95, 5]);
    await value(ex.router.reconcile(ex.canary));
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 95, canary: 5, mirror: false });
  });

  it('when mirroring or weights that do not add up to 100 are asked for, then the result is InvalidRoutes', async () => {
    const ex = podinfo();
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 50, canary: 60, mirror: false }))).to.equal('InvalidRoutes');
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 99.5, canary: 0.5, mirror: false }))).to.equal('InvalidRoutes');
    expect(names(ex.kube, 'TrafficSplit')).to.deep.equal([]);
  });

  it('when hosts are set, then hosts[0] is the root service', async () => {
    const ex = podinfo('osm', (c) => { c.spec.service.hosts = ['podinfo.test.svc.cluster.local']; });
    await value(ex.router.reconcile(ex.canary));
    expect(splitOf(ex)?.spec?.service).to.equal('podinfo.test.svc.cluster.local');
  });

  it('when the provider is linkerd, then the split is v1alpha1 with quantity weights, and relative quantities read back as percentages', async () => {
    const ex = podinfo('linkerd');
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false }));
    const split = splitOf(ex, 'split.smi-spec.io/v1alpha1')!;
    expect(split.apiVersion).to.equal('split.smi-spec.io/v1alpha1');
    expect(split.spec?.backends.map((b) => b.weight)).to.deep.equal(['90', '10']);
    await ex.kube.replace({ ...split, spec: { ...split.spec!, backends: [{ service: 'podinfo-primary', weight: '750m' }, { service: 'podinfo-canary', weight: '250m' }] } });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 75, canary: 25, mirror: false });
  });

  it('when the provider is smi:v1alpha3, then the split is v1alpha3', async () => {
    const ex = podinfo('smi:v1alpha3');
    await value(ex.router.reconcile(ex.canary));
    expect(splitOf(ex, 'split.smi-spec.io/v1alpha3')?.apiVersion).to.equal('split.smi-spec.io/v1alpha3');
  });

  it('when finalized, then the TrafficSplit and -primary/-canary are gone and the apex, released, selects the stable pods', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, { primary: 50, canary: 50, mirror: false }));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'TrafficSplit')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
    const apex = ex.kube.peek({ apiVersion: 'v1', kind: 'Service', name: 'podinfo', namespace: 'test' })!;
    expect(apex['spec']).to.deep.include({ selector: { app: 'podinfo' } });
    expect(apex.metadata.ownerReferences).to.equal(undefined);
  });

  it('when a user\'s TrafficSplit exists, then it is adopted and finalize puts its spec back', async () => {
    const ex = podinfo();
    const userSpec = { service: 'podinfo', backends: [{ service: 'podinfo-v1', weight: 100 }] };
    ex.kube.seed({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 'podinfo', namespace: 'test' }, spec: userSpec });
    await value(ex.router.setRoutes(ex.canary, { primary: 80, canary: 20, mirror: false }));
    expect(splitOf(ex)?.metadata.annotations).to.have.property(ANNOTATION_ADOPTED);
    await value(ex.router.finalize(ex.canary));
    expect(splitOf(ex)?.spec).to.deep.equal(userSpec);
    expect(splitOf(ex)?.metadata.annotations ?? {}).to.not.have.property(ANNOTATION_ADOPTED);
  });

  it('when nothing was reconciled, then getRoutes reports NotReconciled', async () => {
    const ex = podinfo();
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });
});

describe('parseQuantity', () => {
  const cases: [unknown, number | undefined][] = [
    [100, 100], ['100', 100], ['500m', 0.5], ['1.5', 1.5], ['1e3', 1000], ['2k', 2000], ['1Ki', 1024], [' 7 ', 7],
    ['-1', undefined], ['ten', undefined], [Number.NaN, undefined], [undefined, undefined], [null, undefined],
  ];
  for (const [input, expected] of cases) {
    it(`when the weight is ${JSON.stringify(input)}, then it reads as ${String(expected)}`, () => {
      expect(parseQuantity(input)).to.equal(expected);
    });
  }
});
