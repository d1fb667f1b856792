import { expect } from 'chai';
import { apisixRouter, type ApisixRoute } from '../../../src/routers/apisix.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const ref = (name: string) => ({ apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', name, namespace: 'test' });
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo() {
  const ex = example('podinfo-canary-apisix', 'podinfo-deployment', 'podinfo-apisixroute');
  return { ...ex, router: apisixRouter({ kube: ex.kube }) };
}
const cloneOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<ApisixRoute>(ref('podinfo-podinfo-canary'));
const backends = (ex: ReturnType<typeof podinfo>) => cloneOf(ex)?.spec?.http?.[0]?.backends;

describe('apisix router (Flagger\'s APISIX tutorial)', () => {
  it('when reconciled, then podinfo-podinfo-canary holds the user\'s route at priority 10000 with -primary 100 and -canary 0', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const route = cloneOf(ex)?.spec?.http?.[0];
    expect(cloneOf(ex)?.spec?.http).to.have.length(1);
    expect(route).to.deep.include({ name: 'method', priority: 10000, match: { hosts: ['app.example.com'], methods: ['GET'], paths: ['/*'] } });
    expect(route?.['plugins']).to.deep.equal([{ name: 'prometheus', enable: true, config: { disable: false, prefer_name: true } }]);
    expect(backends(ex)).to.deep.equal([
      { serviceName: 'podinfo-primary', servicePort: 80, weight: 100 },
      { serviceName: 'podinfo-canary', servicePort: 80, weight: 0 },
    ]);
    expect(ex.kube.peek<ApisixRoute>(ref('podinfo'))?.spec?.http?.[0]?.backends).to.deep.equal([{ serviceName: 'podinfo', servicePort: 80 }]);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 10% to 50% then rolls back, then the backend weights follow and return to 100/0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [10, 20, 30, 40, 50], (weight) => expect(backends(ex)?.map((b) => b.weight)).to.deep.equal([100 - weight, weight]));
  });

  it('when the user\'s route has two backends or none for the apex, or routeRef is missing, then the result is InvalidSpec', async () => {
    const ex = podinfo();
    const user = ex.kube.peek<ApisixRoute>(ref('podinfo'))!;
    await ex.kube.replace({ ...user, spec: { http: [{ ...user.spec!.http![0]!, backends: [{ serviceName: 'podinfo', servicePort: 80 }, { serviceName: 'other', servicePort: 80 }] }] } });
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('InvalidSpec');
    ex.canary.spec.service.name = 'frontend';
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('InvalidSpec');
    delete ex.canary.spec.routeRef;
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('InvalidSpec');
    expect(names(ex.kube, 'ApisixRoute')).to.deep.equal(['podinfo']);
  });

  it('when finalized, then the canary route and -primary/-canary Services are gone, the user\'s route untouched', async () => {
    const ex = podinfo();
    const before = ex.kube.peek(ref('podinfo'));
    await value(ex.router.setRoutes(ex.canary, routes(30)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'ApisixRoute')).to.deep.equal(['podinfo']);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
    expect(ex.kube.peek(ref('podinfo'))).to.deep.equal(before);
  });
});
