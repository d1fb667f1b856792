import { expect } from 'chai';
import type { Routes } from '../../../src/routers/router.js';
import { traefikRouter, type TraefikService } from '../../../src/routers/traefik.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const ref = { apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService', name: 'podinfo', namespace: 'test' };
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo() {
  const ex = example('podinfo-canary-traefik', 'podinfo-deployment');
  return { ...ex, router: traefikRouter({ kube: ex.kube }) };
}
const servicesOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<TraefikService>(ref)?.spec?.weighted?.services;

describe('traefik router (Flagger\'s Traefik tutorial)', () => {
  it('when reconciled, then TraefikService podinfo weighs only podinfo-primary (the canary is left out at 0)', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(servicesOf(ex)).to.deep.equal([{ name: 'podinfo-primary', port: 80, weight: 100 }]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(0));
    expect(ex.kube.peek(ref)?.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'podinfo' });
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 5% to 50% then rolls back, then both services are weighed and the canary leaves again at 0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], (weight) => {
      const copy = weight > 0 ? [{ name: 'podinfo-canary', port: 80, weight, nativeLB: true }] : [];
      expect(servicesOf(ex)).to.deep.equal([{ name: 'podinfo-primary', port: 80, weight: 100 - weight }, ...copy]);
    });
  });

  it('when blue/green switches everything to the canary, then primary stays listed at weight 0', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    expect(servicesOf(ex)).to.deep.equal([
      { name: 'podinfo-primary', port: 80, weight: 0 },
      { name: 'podinfo-canary', port: 80, weight: 100, nativeLB: true },
    ]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(100));
  });

  // Traefik drops a whole TraefikService, stable share included, while one Service it names has no
  // serving endpoint; the copy's EndpointSlice can lag the readiness the stepper sees (real traffic,
  // test/e2e-cluster/traffic-traefik.test.ts). Through its ClusterIP, Traefik needs no endpoint of it.
  it('when the canary gets weight, then its entry goes through its ClusterIP (nativeLB)', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(10)));
    const entries = servicesOf(ex)?.map((s) => [s.name, s.nativeLB]);
    expect(entries).to.deep.equal([['podinfo-primary', undefined], ['podinfo-canary', true]]);
  });

  it('when finalized, then the TraefikService and the -primary/-canary Services are gone', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(10)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'TraefikService')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });

  it('when the stored object has no primary entry, then getRoutes reports NotReconciled', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const stored = ex.kube.peek<TraefikService>(ref)!;
    await ex.kube.replace({ ...stored, spec: { weighted: { services: [{ name: 'elsewhere', weight: 100 }] } } });
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });
});
