import { expect } from 'chai';
import { ANNOTATION_ADOPTED, LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { Canary } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { istioRouter, mergeMatches, type VirtualService } from '../../../src/routers/istio.js';
import type { Service } from '../../../src/workloads/types.js';
import { example, names, problem, value, versions } from './cluster.js';

const ISTIO = 'networking.istio.io/v1beta1';
const vsRef = (name: string, namespace = 'default') => ({ apiVersion: ISTIO, kind: 'VirtualService', name, namespace });
const drRef = (name: string, namespace = 'default') => ({ apiVersion: ISTIO, kind: 'DestinationRule', name, namespace });
const svcRef = (name: string, namespace = 'default') => ({ apiVersion: 'v1', kind: 'Service', name, namespace });

function reviews(edit: (canary: Canary) => void = () => undefined) {
  const ex = example('reviews-canary-istio', 'reviews-deployment');
  edit(ex.canary);
  return { ...ex, router: istioRouter({ kube: ex.kube }) };
}

function mhs() {
  const ex = example('mhs-canary-istio');
  ex.kube.seed({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'mhs', namespace: 'application' },
    spec: { selector: { matchLabels: { app: 'mhs' } }, template: { metadata: { labels: { app: 'mhs' } }, spec: { containers: [{ name: 'mhs', ports: [{ containerPort: 8080 }] }] } } },
  });
  return { ...ex, router: istioRouter({ kube: ex.kube }) };
}

const vsOf = (ex: { kube: { peek: (r: ReturnType<typeof vsRef>) => KubeObject | undefined } }, name = 'reviews', namespace = 'default') =>
  ex.kube.peek(vsRef(name, namespace)) as VirtualService | undefined;

describe('istio router (bookinfo reviews)', () => {
  it('when reconciled, then the VirtualService routes reviews 100/0 over the mesh and each DestinationRule names its host', async () => {
    const ex = reviews();
    await value(ex.router.reconcile(ex.canary));
    const vs = vsOf(ex)!;
    expect(vs.spec).to.deep.equal({
      hosts: ['reviews'],
      gateways: ['mesh'],
      http: [{ route: [{ destination: { host: 'reviews-primary' }, weight: 100 }, { destination: { host: 'reviews-canary' }, weight: 0 }] }],
    });
    expect(vs.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('reviews');
    expect(vs.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'reviews', controller: true });
    expect(ex.kube.peek(drRef('reviews-primary'))?.['spec']).to.deep.equal({ host: 'reviews-primary' });
    expect(ex.kube.peek(drRef('reviews-canary'))?.['spec']).to.deep.equal({ host: 'reviews-canary' });
    expect(names(ex.kube, 'Service')).to.deep.equal(['reviews', 'reviews-canary', 'reviews-primary']);
  });

  it('when reconciled twice, then the second pass writes nothing', async () => {
    const ex = reviews();
    await value(ex.router.reconcile(ex.canary));
    const before = versions(ex.kube);
    await value(ex.router.reconcile(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when routes are set to 90/10, then the weights are on the route, getRoutes reads them, and a repeat or a reconcile writes nothing', async () => {
    const ex = reviews();
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false }));
    expect(vsOf(ex)?.spec?.http?.[0]?.route?.map((r) => r.weight)).to.deep.equal([90, 10]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 90, canary: 10, mirror: false });
    const before = versions(ex.kube);
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false }));
    await value(ex.router.reconcile(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when mirroring is asked for, then the first rule shadows to the copy by mirrorWeight', async () => {
    const ex = reviews((c) => { c.spec.analysis = { ...c.spec.analysis, mirror: true, mirrorWeight: 30 }; });
    await value(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }));
    expect(vsOf(ex)?.spec?.http?.[0]).to.include.keys('mirror', 'mirrorPercentage');
    expect(vsOf(ex)?.spec?.http?.[0]?.mirror).to.deep.equal({ host: 'reviews-canary' });
    expect(vsOf(ex)?.spec?.http?.[0]?.mirrorPercentage).to.deep.equal({ value: 30 });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100, canary: 0, mirror: true });
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false }));
    expect(vsOf(ex)?.spec?.http?.[0]).to.not.have.any.keys('mirror', 'mirrorPercentage');
  });

  it('when the analysis is A/B, then matched requests are weighted and everything else stays on the stable pods', async () => {
    const ex = reviews((c) => {
      c.spec.service.match = [{ uri: { prefix: '/api' } }];
      c.spec.analysis = { interval: '1m', threshold: 5, iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } }] };
    });
    await value(ex.router.setRoutes(ex.canary, { primary: 0, canary: 100, mirror: false }));
    const http = vsOf(ex)?.spec?.http ?? [];
    expect(http).to.have.length(2);
    expect(http[0]?.match).to.deep.equal([
      { uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'insider' } } },
      { uri: { prefix: '/api' }, headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
    ]);
    expect(http[0]?.route?.map((r) => r.weight)).to.deep.equal([0, 100]);
    expect(http[1]).to.deep.equal({ match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'reviews-primary' }, weight: 100 }] });
  });

  it('when the service has match, rewrite, retries, timeout, headers, CORS and a trafficPolicy, then each rule and DestinationRule carries them', async () => {
    const ex = reviews((c) => {
      c.spec.service = {
        ...c.spec.service,
        match: [{ uri: { prefix: '/' } }], rewrite: { uri: '/v2', type: 'ReplacePrefixMatch' }, timeout: '5s',
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
        headers: { request: { set: { 'x-env': 'prod' } }, response: { remove: ['server'] } },
        corsPolicy: { allowOrigin: ['https://example.com', '*'], allowMethods: ['GET'], maxAge: '24h' },
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      };
    });
    await value(ex.router.reconcile(ex.canary));
    const rule = vsOf(ex)?.spec?.http?.[0];
    expect(rule).to.deep.include({
      match: [{ uri: { prefix: '/' } }], rewrite: { uri: '/v2' }, timeout: '5s',
      retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'gateway-error' },
      headers: { request: { set: { 'x-env': 'prod' } }, response: { remove: ['server'] } },
      corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }, { regex: '.*' }], allowMethods: ['GET'], maxAge: '24h' },
    });
    expect(ex.kube.peek(drRef('reviews-canary'))?.['spec']).to.deep.equal({ host: 'reviews-canary', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  it('when delegation is on, then the VirtualService has no hosts or gateways; with hosts too, then the result is InvalidSpec', async () => {
    const ex = reviews((c) => { c.spec.service.delegation = true; });
    await value(ex.router.reconcile(ex.canary));
    expect(vsOf(ex)?.spec).to.not.have.any.keys('hosts', 'gateways');
    const bad = reviews((c) => { c.spec.service = { ...c.spec.service, delegation: true, hosts: ['reviews.example.com'] }; });
    expect(await problem(bad.router.reconcile(bad.canary))).to.equal('InvalidSpec');
  });

  it('when appProtocol is tcp, then the weights are on a TCP route, and mirroring is refused', async () => {
    const ex = reviews((c) => { c.spec.service.appProtocol = 'TCP'; });
    await value(ex.router.setRoutes(ex.canary, { primary: 80, canary: 20, mirror: false }));
    expect(vsOf(ex)?.spec).to.not.have.property('http');
    expect(vsOf(ex)?.spec?.tcp?.[0]?.route?.map((r) => r.weight)).to.deep.equal([80, 20]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 80, canary: 20, mirror: false });
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
  });

  it('when another controller added annotations to the VirtualService, then reconcile keeps them', async () => {
    const ex = reviews();
    await value(ex.router.reconcile(ex.canary));
    const vs = vsOf(ex)!;
    await ex.kube.replace({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'other.io/seen': 'yes' } } });
    await value(ex.router.setRoutes(ex.canary, { primary: 50, canary: 50, mirror: false }));
    expect(vsOf(ex)?.metadata.annotations).to.include({ 'other.io/seen': 'yes' });
  });

  it('when finalized, then the mesh-only VirtualService, the DestinationRules and -primary/-canary are gone and the adopted reviews Service is the user\'s again', async () => {
    const ex = reviews();
    const userService = ex.kube.peek(svcRef('reviews'))!;
    await value(ex.router.setRoutes(ex.canary, { primary: 50, canary: 50, mirror: false }));
    expect(ex.kube.peek(svcRef('reviews'))?.metadata.annotations).to.have.property(ANNOTATION_ADOPTED);
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'VirtualService')).to.deep.equal([]);
    expect(names(ex.kube, 'DestinationRule')).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['reviews']);
    const restored = ex.kube.peek<Service>(svcRef('reviews'))!;
    expect(restored.spec).to.deep.equal(userService['spec']);
    expect(restored.metadata.annotations ?? {}).to.deep.equal(userService.metadata.annotations ?? {});
  });

  it('when a user\'s VirtualService exists, then it is adopted and finalize puts its spec back', async () => {
    const ex = reviews();
    const userSpec = { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] };
    ex.kube.seed({ apiVersion: ISTIO, kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default', labels: { team: 'a' } }, spec: userSpec });
    await value(ex.router.setRoutes(ex.canary, { primary: 70, canary: 30, mirror: false }));
    const adopted = vsOf(ex)!;
    expect(adopted.metadata.ownerReferences).to.equal(undefined);
    expect(adopted.spec?.http?.[0]?.route?.map((r) => r.weight)).to.deep.equal([70, 30]);
    await value(ex.router.finalize(ex.canary));
    const restored = vsOf(ex)!;
    expect(restored.spec).to.deep.equal(userSpec);
    expect(restored.metadata.labels).to.deep.equal({ team: 'a' });
    expect(restored.metadata.annotations ?? {}).to.not.have.property(ANNOTATION_ADOPTED);
  });

  it('when another controller owns the VirtualService, then the result is ObjectConflict and it is left alone', async () => {
    const ex = reviews();
    ex.kube.seed({
      apiVersion: ISTIO, kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default', ownerReferences: [{ apiVersion: 'x.io/v1', kind: 'App', name: 'a', uid: 'u', controller: true }] },
      spec: { hosts: ['reviews'] },
    });
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('ObjectConflict');
    expect(vsOf(ex)?.spec).to.deep.equal({ hosts: ['reviews'] });
  });

  it('when nothing was reconciled, then getRoutes reports NotReconciled', async () => {
    const ex = reviews();
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });
});

describe('istio router (mhs behind a gateway)', () => {
  it('when reconciled, then hosts are the public host plus the apex and gateways are the Canary\'s', async () => {
    const ex = mhs();
    await value(ex.router.reconcile(ex.canary));
    expect(vsOf(ex, 'mhs', 'application')?.spec).to.deep.include({ hosts: ['mhs.example.com', 'mhs'], gateways: ['mhs-gateway'] });
  });

  it('when portDiscovery is on behind a gateway, then destinations name the port', async () => {
    const ex = mhs();
    ex.canary.spec.service.portDiscovery = true;
    await value(ex.router.reconcile(ex.canary));
    expect(vsOf(ex, 'mhs', 'application')?.spec?.http?.[0]?.route?.[0]?.destination).to.deep.equal({ host: 'mhs-primary', port: { number: 80 } });
  });

  it('when finalized, then the gateway-bound VirtualService is released to the user, routing everything to the apex', async () => {
    const ex = mhs();
    await value(ex.router.setRoutes(ex.canary, { primary: 60, canary: 40, mirror: false }));
    await value(ex.router.finalize(ex.canary));
    const vs = vsOf(ex, 'mhs', 'application')!;
    expect(vs.spec?.http).to.deep.equal([{ route: [{ destination: { host: 'mhs' }, weight: 100 }] }]);
    expect(vs.metadata.ownerReferences).to.equal(undefined);
    expect(vs.metadata.labels ?? {}).to.not.have.property(LABEL_MANAGED_BY_CANARY);
    expect(names(ex.kube, 'Service')).to.deep.equal(['mhs']);
  });
});

describe('mergeMatches', () => {
  it('when there is no service match, then the A/B conditions are used as they are', () => {
    expect(mergeMatches([{ headers: { a: { exact: '1' } } }], [])).to.deep.equal([{ headers: { a: { exact: '1' } } }]);
  });

  it('when both have headers, then they are combined in one entry, the condition winning on the same header', () => {
    expect(mergeMatches([{ headers: { a: { exact: '1' }, b: { exact: 'c' } } }], [{ headers: { b: { exact: 's' }, x: { exact: 'y' } }, uri: { prefix: '/' } }]))
      .to.deep.equal([{ uri: { prefix: '/' }, headers: { b: { exact: 'c' }, x: { exact: 'y' }, a: { exact: '1' } } }]);
  });
});

describe('istio router: session affinity', () => {
  const COOKIE = 'flagger-cookie=AbCdEfGhIj';
  const byCookie = (cookie: string) => ({ cookie: { regex: `^(.*;\\s*)?${cookie}(\\s*;.*)?$` } });

  it('when the canary has traffic, then a first rule sends requests with the run\'s cookie to the canary, whose answers set it', async () => {
    const ex = reviews((c) => { c.spec.analysis!.sessionAffinity = { cookieName: 'flagger-cookie', maxAge: 600 }; });
    await value(ex.router.setRoutes(ex.canary, { primary: 70, canary: 30, mirror: false, cookies: { canary: COOKIE } }));
    const http = vsOf(ex)!.spec!.http!;
    expect(http).to.have.length(2);
    expect(http[0]).to.deep.include({ match: [{ headers: byCookie(COOKIE) }], route: [{ destination: { host: 'reviews-canary' }, weight: 100 }] });
    expect(http[1]!.route).to.deep.equal([
      { destination: { host: 'reviews-primary' }, weight: 70 },
      { destination: { host: 'reviews-canary' }, weight: 30, headers: { response: { add: { 'Set-Cookie': `${COOKIE}; Max-Age=600` } } } },
    ]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 70, canary: 30, mirror: false, cookies: { canary: COOKIE } });
    const before = versions(ex.kube);
    await value(ex.router.reconcile(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
  });

  it('when traffic has left the canary, then requests with the last run\'s cookie go to the stable pods and expire it', async () => {
    const ex = reviews((c) => { c.spec.analysis!.sessionAffinity = { cookieName: 'flagger-cookie' }; });
    await value(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: false, cookies: { expired: COOKIE } }));
    const [expire] = vsOf(ex)!.spec!.http!;
    expect(expire).to.deep.include({
      match: [{ headers: byCookie(COOKIE) }],
      headers: { response: { add: { 'Set-Cookie': `${COOKIE}; Max-Age=-1` } } },
      route: [{ destination: { host: 'reviews-primary' }, weight: 100 }],
    });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100, canary: 0, mirror: false, cookies: { expired: COOKIE } });
  });
});
