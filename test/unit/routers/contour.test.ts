import { expect } from 'chai';
import { contourConditions, contourRouter, type HTTPProxy } from '../../../src/routers/contour.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const proxyRef = { apiVersion: 'projectcontour.io/v1', kind: 'HTTPProxy', name: 'podinfo', namespace: 'test' };
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo(file: 'podinfo-canary-contour' | 'podinfo-canary-contour-ab' = 'podinfo-canary-contour') {
  const ex = example(file, 'podinfo-deployment');
  ex.canary.spec.provider = 'contour';
  return { ...ex, router: contourRouter({ kube: ex.kube }) };
}
const proxyOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<HTTPProxy>(proxyRef);
const weights = (ex: ReturnType<typeof podinfo>, route = 0) => proxyOf(ex)?.spec?.routes?.[route]?.services.map((s) => [s.name, s.weight]);

describe('contour router (Flagger\'s Contour tutorial)', () => {
  it('when reconciled, then HTTPProxy podinfo routes / to -primary 100 and -canary 0, with the l5d header, timeout and retries', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(proxyOf(ex)?.spec).to.deep.equal({
      routes: [{
        conditions: [{ prefix: '/' }],
        timeoutPolicy: { response: '15s' },
        retryPolicy: { count: 3, perTryTimeout: '5s' },
        services: [
          { name: 'podinfo-primary', port: 80, weight: 100, requestHeadersPolicy: { set: [{ name: 'l5d-dst-override', value: 'podinfo-primary.test.svc.cluster.local:80' }] } },
          { name: 'podinfo-canary', port: 80, weight: 0, requestHeadersPolicy: { set: [{ name: 'l5d-dst-override', value: 'podinfo-canary.test.svc.cluster.local:80' }] } },
        ],
      }],
    });
    expect(proxyOf(ex)?.spec).to.not.have.property('virtualhost');
    expect(proxyOf(ex)?.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'podinfo' });
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when the stepper runs with --ingress-class, then the HTTPProxy names that class', async () => {
    const ex = podinfo();
    await value(contourRouter({ kube: ex.kube, ingressClass: 'contour-internal' }).reconcile(ex.canary));
    expect(proxyOf(ex)?.spec).to.have.property('ingressClassName', 'contour-internal');
  });

  it('when a rollout steps 5% to 50% then rolls back, then the weights follow each step and return to 100/0', async () => {
    const ex = podinfo();
    await rollsOut(ex, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], (weight) => expect(weights(ex)).to.deep.equal([['podinfo-primary', 100 - weight], ['podinfo-canary', weight]]));
  });

  it('when the A/B canary routes its matched traffic, then one route per match entry sends it to the copy and a last route keeps the rest on primary', async () => {
    const ex = podinfo('podinfo-canary-contour-ab');
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    const all = proxyOf(ex)?.spec?.routes ?? [];
    expect(all.map((r) => r.conditions)).to.deep.equal([
      [{ prefix: '/' }, { header: { name: 'x-canary', exact: 'insider' } }],
      [{ prefix: '/' }, { header: { name: 'cookie', contains: 'canary' } }],
      [{ prefix: '/' }],
    ]);
    expect(weights(ex, 0)).to.deep.equal([['podinfo-primary', 0], ['podinfo-canary', 100]]);
    expect(weights(ex, 1)).to.deep.equal([['podinfo-primary', 0], ['podinfo-canary', 100]]);
    expect(weights(ex, 2)).to.deep.equal([['podinfo-primary', 100], ['podinfo-canary', 0]]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(100));
    await value(ex.router.setRoutes(ex.canary, routes(0)));
    expect(weights(ex, 0)).to.deep.equal([['podinfo-primary', 100], ['podinfo-canary', 0]]);
  });

  it('when an HTTPProxy podinfo that Davy did not make exists, then it is an ObjectConflict and stays as it was', async () => {
    const ex = podinfo();
    const theirs = { apiVersion: 'projectcontour.io/v1', kind: 'HTTPProxy', metadata: { name: 'podinfo', namespace: 'test' }, spec: { virtualhost: { fqdn: 'app.example.com' } } };
    ex.kube.seed(theirs);
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('ObjectConflict');
    expect(proxyOf(ex)?.spec).to.deep.equal(theirs.spec);
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'HTTPProxy')).to.deep.equal(['podinfo']);
  });

  it('when finalized, then the HTTPProxy and the -primary/-canary Services are gone', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(25)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'HTTPProxy')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });

  it('when mirroring is asked for, then the result is InvalidRoutes', async () => {
    const ex = podinfo();
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
  });
});

describe('contourConditions', () => {
  it('when a header is matched by prefix or suffix, then the condition is contains, as in Flagger', () => {
    expect(contourConditions({ headers: { a: { prefix: 'x' }, b: { suffix: 'y' } } })).to.deep.equal([
      { header: { name: 'a', contains: 'x' } }, { header: { name: 'b', contains: 'y' } },
    ]);
  });

  it('when the A/B canary matches a header by regex, then setRoutes is refused with the header\'s path and nothing is written', async () => {
    const ex = podinfo('podinfo-canary-contour-ab');
    ex.canary.spec.analysis!.match = [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }];
    const refused = await ex.router.setRoutes(ex.canary, routes(100));
    expect(!refused.ok && refused.error.message).to.match(/^spec\.analysis\.match\[0\]\.headers\.user-agent: contour matches a header by exact, prefix, suffix/);
    expect(names(ex.kube, 'HTTPProxy')).to.deep.equal([]);
  });
});
