import { expect } from 'chai';
import { glooRouter, type RouteTable } from '../../../src/routers/gloo.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const tableRef = { apiVersion: 'gateway.solo.io/v1', kind: 'RouteTable', name: 'podinfo', namespace: 'test' };
const upstreamRef = (name: string) => ({ apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', name, namespace: 'test' });
const PRIMARY = 'test-podinfo-primaryupstream-9898';
const CANARY = 'test-podinfo-canaryupstream-9898';
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo(file: 'podinfo-canary-gloo' | 'podinfo-canary-gloo-ab' = 'podinfo-canary-gloo') {
  const ex = example(file, 'podinfo-deployment');
  return { ...ex, router: glooRouter({ kube: ex.kube }) };
}
const tableOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<RouteTable>(tableRef);
const weights = (ex: ReturnType<typeof podinfo>, route = 0) =>
  tableOf(ex)?.spec?.routes?.[route]?.routeAction.multi.destinations.map((d) => [d.destination.upstream.name, d.weight]);

describe('gloo router (Flagger\'s Gloo tutorial)', () => {
  it('when reconciled, then two Kube Upstreams and RouteTable podinfo split 100/0 between them, inheriting the parent\'s path', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(names(ex.kube, 'Upstream')).to.deep.equal([CANARY, PRIMARY]);
    expect(ex.kube.peek(upstreamRef(CANARY))?.['spec']).to.deep.equal({ kube: { serviceName: 'podinfo-canary', serviceNamespace: 'test', servicePort: 9898 } });
    expect(tableOf(ex)?.spec?.routes).to.have.length(1);
    expect(tableOf(ex)?.spec?.routes?.[0]?.inheritablePathMatchers).to.equal(true);
    expect(weights(ex)).to.deep.equal([[PRIMARY, 100], [CANARY, 0]]);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 5% to 50% then rolls back, then the weights follow each step and return to 100/0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], (weight) => expect(weights(ex)).to.deep.equal([[PRIMARY, 100 - weight], [CANARY, weight]]));
  });

  it('when the A/B canary routes its matched traffic, then the header route goes to the copy and a second route keeps the rest on primary', async () => {
    const ex = podinfo('podinfo-canary-gloo-ab');
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    expect(tableOf(ex)?.spec?.routes?.map((r) => r.matchers)).to.deep.equal([[{ headers: [{ name: 'x-canary', value: 'insider' }] }], undefined]);
    expect(weights(ex, 0)).to.deep.equal([[PRIMARY, 0], [CANARY, 100]]);
    expect(weights(ex, 1)).to.deep.equal([[PRIMARY, 100], [CANARY, 0]]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(100));
  });

  it('when a header is matched by regex, then the matcher is a regex; by prefix, it is refused with its path', async () => {
    const ex = podinfo('podinfo-canary-gloo-ab');
    ex.canary.spec.analysis!.match = [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }];
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    expect(tableOf(ex)?.spec?.routes?.[0]?.matchers).to.deep.equal([{ headers: [{ name: 'user-agent', value: '.*Firefox.*', regex: true }] }]);
    ex.canary.spec.analysis!.match = [{ headers: { 'user-agent': { prefix: 'Mozilla' } } }];
    const refused = await ex.router.setRoutes(ex.canary, routes(100));
    expect(!refused.ok && refused.error.message).to.match(/^spec\.analysis\.match\[0\]\.headers\.user-agent: gloo matches/);
  });

  it('when upstreamRef names an Upstream, then its connection settings are copied to both, and a missing one is InvalidSpec', async () => {
    const ex = podinfo();
    const settings = { sslConfig: { sni: 'podinfo' }, loadBalancerConfig: { roundRobin: {} }, useHttp2: true };
    ex.kube.seed({ apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', metadata: { name: 'podinfo-template', namespace: 'gloo-system' }, spec: { ...settings, kube: { serviceName: 'x', serviceNamespace: 'y', servicePort: 1 } } });
    ex.canary.spec.upstreamRef = { apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', name: 'podinfo-template', namespace: 'gloo-system' };
    await value(ex.router.reconcile(ex.canary));
    expect(ex.kube.peek(upstreamRef(PRIMARY))?.['spec']).to.deep.equal({ ...settings, kube: { serviceName: 'podinfo-primary', serviceNamespace: 'test', servicePort: 9898 } });
    ex.canary.spec.upstreamRef = { name: 'nowhere' };
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('InvalidSpec');
  });

  it('when finalized, then the RouteTable, both Upstreams and the -primary/-canary Services are gone', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(15)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'RouteTable')).to.deep.equal([]);
    expect(names(ex.kube, 'Upstream')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });
});
