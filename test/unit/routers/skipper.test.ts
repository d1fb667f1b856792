import { expect } from 'chai';
import type { Ingress } from '../../../src/routers/canary-ingress.js';
import type { Routes } from '../../../src/routers/router.js';
import { SKIPPER_BACKEND_WEIGHTS, SKIPPER_PREDICATE, skipperPredicate, skipperRouter } from '../../../src/routers/skipper.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const ingressRef = (name: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, namespace: 'test' });
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo() {
  const ex = example('podinfo-canary-skipper', 'podinfo-deployment', 'podinfo-ingress-skipper');
  return { ...ex, router: skipperRouter({ kube: ex.kube }) };
}
const cloneOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<Ingress>(ingressRef('podinfo-canary'));
const weightsOf = (ex: ReturnType<typeof podinfo>): unknown => JSON.parse(cloneOf(ex)?.metadata.annotations?.[SKIPPER_BACKEND_WEIGHTS] ?? 'null');
const predicateOf = (ex: ReturnType<typeof podinfo>) => cloneOf(ex)?.metadata.annotations?.[SKIPPER_PREDICATE];

describe('skipper router (Flagger\'s Skipper tutorial)', () => {
  it('when reconciled, then podinfo-canary has the path twice (-primary, -canary), weights 100/0 and the False() predicate', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const paths = cloneOf(ex)?.spec?.rules?.[0]?.http?.paths ?? [];
    expect(paths.map((p) => [p.path, p.backend.service?.name, p.backend.service?.port?.number])).to.deep.equal([
      ['/', 'podinfo-primary', 80], ['/', 'podinfo-canary', 80],
    ]);
    expect(weightsOf(ex)).to.deep.equal({ 'podinfo-primary': 100, 'podinfo-canary': 0 });
    expect(predicateOf(ex)).to.equal('False() && Weight(100)');
    expect(cloneOf(ex)?.metadata.annotations).to.include({ 'kubernetes.io/ingress.class': 'skipper' });
    expect(ex.kube.peek<Ingress>(ingressRef('podinfo'))?.metadata.annotations).to.not.have.property(SKIPPER_BACKEND_WEIGHTS);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 10% to 50%, then the weights follow and False() is gone; back at 0 (rollback) it returns', async () => {
    const ex = podinfo();
    await rollsOut(ex, [10, 20, 30, 40, 50], (weight) => {
      expect(weightsOf(ex)).to.deep.equal({ 'podinfo-primary': 100 - weight, 'podinfo-canary': weight });
      expect(predicateOf(ex)).to.equal(weight === 0 ? 'False() && Weight(100)' : 'Weight(100)');
    });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(0));
  });

  it('when the user\'s Ingress has predicates of its own, then they follow Davy\'s', () => {
    expect(skipperPredicate('Header("X-Beta", "1") && Weight(100)', 20)).to.equal('Weight(100) && Header("X-Beta", "1")');
    expect(skipperPredicate('Method("GET")', 0)).to.equal('False() && Weight(100) && Method("GET")');
  });

  it('when finalized, then podinfo-canary and the -primary/-canary Services are gone, the user\'s Ingress untouched', async () => {
    const ex = podinfo();
    const before = ex.kube.peek<Ingress>(ingressRef('podinfo'));
    await value(ex.router.setRoutes(ex.canary, routes(40)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'Ingress')).to.deep.equal(['podinfo']);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
    expect(ex.kube.peek<Ingress>(ingressRef('podinfo'))).to.deep.equal(before);
  });

  it('when the weights annotation is unreadable, then getRoutes reports NotReconciled', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const clone = cloneOf(ex)!;
    await ex.kube.replace({ ...clone, metadata: { ...clone.metadata, annotations: { ...clone.metadata.annotations, [SKIPPER_BACKEND_WEIGHTS]: '{not json' } } });
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });
});
