import { expect } from 'chai';
import type { Canary } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { gatewayApiRouter } from '../../../src/routers/gatewayapi.js';
import type { HTTPRoute, HTTPRouteSpec } from '../../../src/routers/gatewayapi-spec.js';
import { ANNOTATION_ADOPTED } from '../../../src/api/keys.js';
import { names, problem, value, versions } from './cluster.js';
import { gatewayExample, storefrontRoute } from './gatewayapi-fixtures.js';

const V1 = 'gateway.networking.k8s.io/v1';
const storefrontRef = { apiVersion: V1, kind: 'HTTPRoute', name: 'storefront', namespace: 'test' };

function storefront(edit: (spec: HTTPRouteSpec) => void = () => undefined) {
  const ex = gatewayExample('podinfo-canary');
  const canary: Canary = ex.canary;
  const { gatewayRefs: _refs, hosts: _hosts, ...service } = canary.spec.service;
  canary.spec.service = { ...service, routeRef: { name: 'storefront' } };
  const route = storefrontRoute('test');
  const spec = route.spec!;
  edit(spec);
  ex.kube.seed(route);
  return { ...ex, router: gatewayApiRouter('gatewayapi:v1')({ kube: ex.kube }), original: structuredClone(spec) };
}

const routeOf = (ex: { kube: { peek: (r: typeof storefrontRef) => KubeObject | undefined } }) => ex.kube.peek(storefrontRef) as HTTPRoute;
const side = (name: string, weight: number) => ({ group: '', kind: 'Service', name, port: 9898, weight });

describe('gatewayapi router with spec.service.routeRef (the user\'s HTTPRoute)', () => {
  it('when reconciled, then only the rule sending to podinfo is split, every other field stays, and no route of Davy\'s own appears', async () => {
    const ex = storefront();
    await value(ex.router.reconcile(ex.canary));
    const expected = structuredClone(ex.original);
    expected.rules![0]!.backendRefs = [side('podinfo-primary', 100), side('podinfo-canary', 0)];
    expect(routeOf(ex).spec).to.deep.equal(expected);
    expect(names(ex.kube, 'HTTPRoute')).to.deep.equal(['storefront']);
    expect(routeOf(ex).metadata.ownerReferences ?? []).to.deep.equal([]);
    expect(routeOf(ex).metadata.labels).to.deep.equal({ team: 'shop' });
  });

  it('when the canary steps, then only the weights change, and repeating a step writes nothing', async () => {
    const ex = storefront();
    await value(ex.router.reconcile(ex.canary));
    for (const canary of [10, 20, 30, 40, 50]) {
      await value(ex.router.setRoutes(ex.canary, { primary: 100 - canary, canary, mirror: false }));
      const expected = structuredClone(ex.original);
      expected.rules![0]!.backendRefs = [side('podinfo-primary', 100 - canary), side('podinfo-canary', canary)];
      expect(routeOf(ex).spec).to.deep.equal(expected);
      expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100 - canary, canary, mirror: false });
      const before = versions(ex.kube);
      await value(ex.router.setRoutes(ex.canary, { primary: 100 - canary, canary, mirror: false }));
      await value(ex.router.reconcile(ex.canary));
      expect(versions(ex.kube)).to.deep.equal(before);
    }
  });

  it('when the Canary is deleted, then the route is exactly what Davy found: spec, labels and annotations', async () => {
    const ex = storefront();
    const found = structuredClone(routeOf(ex));
    await value(ex.router.setRoutes(ex.canary, { primary: 70, canary: 30, mirror: false }));
    expect(routeOf(ex).metadata.annotations?.[ANNOTATION_ADOPTED]).to.be.a('string');
    await value(ex.router.finalize(ex.canary));
    const after = routeOf(ex);
    expect(after.spec).to.deep.equal(found.spec);
    expect(after.metadata.labels).to.deep.equal(found.metadata.labels);
    expect(after.metadata.annotations).to.deep.equal(found.metadata.annotations);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });

  it('when the user edited the route during the canary, then deletion keeps the edit and only undoes the split', async () => {
    const ex = storefront();
    await value(ex.router.setRoutes(ex.canary, { primary: 50, canary: 50, mirror: false }));
    const edited = structuredClone(routeOf(ex));
    edited.spec!.rules![1]!.timeouts = { request: '5s' };
    ex.kube.seed(edited);
    await value(ex.router.finalize(ex.canary));
    const expected = structuredClone(ex.original);
    expected.rules![1]!.timeouts = { request: '5s' };
    expect(routeOf(ex).spec).to.deep.equal(expected);
    expect(routeOf(ex).metadata.annotations ?? {}).to.not.have.property(ANNOTATION_ADOPTED);
  });

  it('when a rule sends to podinfo and to another backend, then Davy refuses to split it and leaves the route alone', async () => {
    const ex = storefront((spec) => { spec.rules![0]!.backendRefs!.push({ group: '', kind: 'Service', name: 'legacy', port: 80, weight: 1 }); });
    const before = structuredClone(routeOf(ex));
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('ObjectConflict');
    expect(routeOf(ex)).to.deep.equal(before);
  });

  it('when no rule sends to podinfo, then Davy says so and leaves the route alone', async () => {
    const ex = storefront((spec) => { spec.rules = spec.rules!.slice(1); });
    const before = structuredClone(routeOf(ex));
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('ObjectConflict');
    expect(routeOf(ex)).to.deep.equal(before);
  });

  it('when the referenced route does not exist, then reconcile and getRoutes report it', async () => {
    const ex = storefront();
    ex.canary.spec.service.routeRef = { name: 'missing' };
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('NotReconciled');
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });

  it('when mirroring is asked for, then it is refused: Davy sets only weights in the user\'s route', async () => {
    const ex = storefront();
    await value(ex.router.reconcile(ex.canary));
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
  });
});
