import { expect } from 'chai';
import { appmeshRouter, type VirtualRouter } from '../../../src/routers/appmesh.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const ref = (kind: string, name: string) => ({ apiVersion: 'appmesh.k8s.aws/v1beta2', kind, name, namespace: 'test' });
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo() {
  const ex = example('podinfo-canary-appmesh', 'podinfo-deployment');
  return { ...ex, router: appmeshRouter({ kube: ex.kube }) };
}
const routerOf = (ex: ReturnType<typeof podinfo>, name = 'podinfo') => ex.kube.peek<VirtualRouter>(ref('VirtualRouter', name));
const weights = (ex: ReturnType<typeof podinfo>, route = 0) =>
  routerOf(ex)?.spec?.routes?.[route]?.httpRoute.action.weightedTargets.map((t) => [t.virtualNodeRef.name, t.weight]);
const specOf = (ex: ReturnType<typeof podinfo>, kind: string, name: string) => ex.kube.peek(ref(kind, name))?.['spec'];

describe('appmesh:v1beta2 router (Flagger\'s App Mesh tutorial)', () => {
  it('when reconciled, then two VirtualNodes, two VirtualRouters and two VirtualServices are written, the apex split 100/0', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(names(ex.kube, 'VirtualNode')).to.deep.equal(['podinfo-canary', 'podinfo-primary']);
    expect(names(ex.kube, 'VirtualRouter')).to.deep.equal(['podinfo', 'podinfo-canary']);
    expect(names(ex.kube, 'VirtualService')).to.deep.equal(['podinfo', 'podinfo-canary']);
    expect(specOf(ex, 'VirtualNode', 'podinfo-canary')).to.deep.equal({
      podSelector: { matchLabels: { app: 'podinfo-canary' } },
      listeners: [{ portMapping: { port: 9898, protocol: 'http' } }],
      serviceDiscovery: { dns: { hostname: 'podinfo-canary.test.svc.cluster.local' } },
      backends: [
        { virtualService: { virtualServiceRef: { name: 'backend1' } } },
        { virtualService: { virtualServiceARN: 'arn:aws:appmesh:eu-west-1:12345678910:mesh/my-mesh/virtualService/backend2' } },
      ],
    });
    expect(specOf(ex, 'VirtualNode', 'podinfo-primary')).to.deep.include({ podSelector: { matchLabels: { app: 'podinfo' } } });
    expect(specOf(ex, 'VirtualService', 'podinfo')).to.deep.equal({ awsName: 'podinfo.test.svc.cluster.local', provider: { virtualRouter: { virtualRouterRef: { name: 'podinfo' } } } });
    expect(weights(ex)).to.deep.equal([['podinfo-primary', 100], ['podinfo-canary', 0]]);
    expect(routerOf(ex)?.spec?.routes?.[0]?.httpRoute).to.deep.include({
      timeout: { perRequest: { unit: 'ms', value: 15000 } },
      retryPolicy: { maxRetries: 3, perRetryTimeout: { unit: 'ms', value: 5000 }, httpRetryEvents: ['server-error', 'gateway-error'] },
    });
    expect(routerOf(ex, 'podinfo-canary')?.spec?.routes?.[0]?.httpRoute.action.weightedTargets).to.deep.equal([{ virtualNodeRef: { name: 'podinfo-canary' }, weight: 100 }]);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 5% to 50% then rolls back, then the apex router\'s weights follow and return to 100/0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], (weight) => expect(weights(ex)).to.deep.equal([['podinfo-primary', 100 - weight], ['podinfo-canary', weight]]));
  });

  it('when an A/B canary routes its matched requests, then route podinfo-a (priority 10) carries them and podinfo-b (20) the rest', async () => {
    const ex = podinfo();
    Object.assign(ex.canary.spec.analysis!, { stepWeight: undefined, maxWeight: undefined, iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    const all = routerOf(ex)?.spec?.routes ?? [];
    expect(all.map((r) => [r.name, r.priority, r.httpRoute.match])).to.deep.equal([
      ['podinfo-a', 10, { prefix: '/', headers: [{ name: 'x-canary', match: { exact: 'insider' } }] }],
      ['podinfo-b', 20, { prefix: '/' }],
    ]);
    expect(weights(ex, 0)).to.deep.equal([['podinfo-primary', 0], ['podinfo-canary', 100]]);
    expect(weights(ex, 1)).to.deep.equal([['podinfo-primary', 100], ['podinfo-canary', 0]]);
    ex.canary.spec.analysis!.match!.push({ headers: { cookie: { exact: 'canary' } } });
    expect(await problem(ex.router.setRoutes(ex.canary, routes(100)))).to.equal('InvalidSpec');
  });

  it('when finalized, then every App Mesh object and the -primary/-canary Services are gone', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(10)));
    await value(ex.router.finalize(ex.canary));
    for (const kind of ['VirtualNode', 'VirtualRouter', 'VirtualService']) expect(names(ex.kube, kind), kind).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });
});
