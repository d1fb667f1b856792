import { expect } from 'chai';
import { kumaRouter, type TrafficRoute } from '../../../src/routers/kuma.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const ref = { apiVersion: 'kuma.io/v1alpha1', kind: 'TrafficRoute', name: 'podinfo' };
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo(namespace = 'test') {
  const ex = example('podinfo-canary-kuma', 'podinfo-deployment');
  if (namespace !== 'test') {
    ex.canary.metadata.namespace = namespace;
    const deployment = ex.kube.peek({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'test' })!;
    ex.kube.seed({ ...deployment, metadata: { name: 'podinfo', namespace, labels: deployment.metadata.labels ?? {} } });
  }
  return { ...ex, router: kumaRouter({ kube: ex.kube }) };
}
const routeOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<TrafficRoute>(ref);
const split = (ex: ReturnType<typeof podinfo>) => routeOf(ex)?.spec?.conf?.split?.map((s) => [s.destination['kuma.io/service'], s.weight]);

describe('kuma router (Flagger\'s Kuma tutorial)', () => {
  it('when reconciled, then the cluster-scoped TrafficRoute podinfo in mesh default splits podinfo_test_svc_9898 100/0, with no owner reference', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const route = routeOf(ex)!;
    expect(route.mesh).to.equal('default');
    expect(route.metadata.namespace).to.equal(undefined);
    expect(route.metadata.ownerReferences).to.equal(undefined);
    expect(route.spec?.sources).to.deep.equal([{ match: { 'kuma.io/service': '*' } }]);
    expect(route.spec?.destinations).to.deep.equal([{ match: { 'kuma.io/service': 'podinfo_test_svc_9898' } }]);
    expect(split(ex)).to.deep.equal([['podinfo-primary_test_svc_9898', 100], ['podinfo-canary_test_svc_9898', 0]]);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 10% to 50% then rolls back, then the split follows and returns to 100/0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [10, 20, 30, 40, 50], (weight) => expect(split(ex)).to.deep.equal([['podinfo-primary_test_svc_9898', 100 - weight], ['podinfo-canary_test_svc_9898', weight]]));
  });

  it('when the Canary names another mesh, then the TrafficRoute is in that mesh', async () => {
    const ex = podinfo();
    ex.canary.metadata.annotations = { 'kuma.io/mesh': 'payments' };
    await value(ex.router.reconcile(ex.canary));
    expect(routeOf(ex)?.mesh).to.equal('payments');
  });

  it('when a podinfo Canary of another namespace already has the route, then this one neither writes nor deletes it', async () => {
    const first = podinfo();
    await value(first.router.setRoutes(first.canary, routes(30)));
    const other = podinfo('other');
    const router = kumaRouter({ kube: first.kube });
    const deployment = other.kube.peek({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'other' })!;
    first.kube.seed(deployment);
    expect(await problem(router.setRoutes(other.canary, routes(10)))).to.equal('ObjectConflict');
    await value(router.finalize(other.canary));
    expect(split(first)).to.deep.equal([['podinfo-primary_test_svc_9898', 70], ['podinfo-canary_test_svc_9898', 30]]);
  });

  it('when finalized, then the TrafficRoute and the -primary/-canary Services are gone', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(20)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'TrafficRoute')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });
});
