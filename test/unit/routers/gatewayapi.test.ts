import { expect } from 'chai';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import { ANNOTATION_ADOPTED, LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { Canary } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { gatewayApiRouter } from '../../../src/routers/gatewayapi.js';
import type { HTTPRoute, HTTPRouteSpec } from '../../../src/routers/gatewayapi-spec.js';
import { names, problem, value, versions } from './cluster.js';
import { gatewayExample, type TutorialFile } from './gatewayapi-fixtures.js';

const V1 = 'gateway.networking.k8s.io/v1';
const routeRef = (name = 'podinfo', apiVersion = V1) => ({ apiVersion, kind: 'HTTPRoute', name, namespace: 'test' });
const backend = (name: string, weight: number) => ({ group: '', kind: 'Service', name, port: 9898, weight });
const PARENT = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gateway', namespace: 'istio-ingress' };
const ROOT_MATCH = { path: { type: 'PathPrefix', value: '/' } };

function podinfo(file: TutorialFile = 'podinfo-canary', edit: (c: Canary) => void = () => undefined, provider: 'gatewayapi:v1' | 'gatewayapi:v1beta1' = 'gatewayapi:v1') {
  const ex = gatewayExample(file, provider);
  edit(ex.canary);
  return { ...ex, router: gatewayApiRouter(provider)({ kube: ex.kube }) };
}

const routeOf = (ex: { kube: { peek: (r: ReturnType<typeof routeRef>) => KubeObject | undefined } }, apiVersion = V1) =>
  ex.kube.peek(routeRef('podinfo', apiVersion)) as HTTPRoute | undefined;
const weightsOf = (spec: HTTPRouteSpec | undefined, rule = 0) => spec?.rules?.[rule]?.backendRefs?.map((b) => [b.name, b.weight]);

describe('gatewayapi router (Flagger\'s Gateway API tutorial)', () => {
  it('when reconciled, then the HTTPRoute attaches to the Gateway, serves the hosts and sends everything to the stable pods', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    expect(routeOf(ex)?.spec).to.deep.equal({
      parentRefs: [PARENT],
      hostnames: ['www.example.com'],
      rules: [{ matches: [ROOT_MATCH], backendRefs: [backend('podinfo-primary', 100), backend('podinfo-canary', 0)] }],
    });
    expect(routeOf(ex)?.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('podinfo');
    expect(routeOf(ex)?.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'podinfo', controller: true });
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo', 'podinfo-canary', 'podinfo-primary']);
  });

  // Flagger's scheduler adds stepWeight to the canary weight until maxWeight, then routes all
  // traffic back to the promoted primary; its SetRoutes writes (primary, canary) on the rule.
  for (const [label, analysis, ladder] of [
    ['stepWeight 10 to maxWeight 50 (the tutorial)', {}, [10, 20, 30, 40, 50]],
    ['stepWeights [1, 2, 10, 80]', { stepWeight: undefined, maxWeight: undefined, stepWeights: [1, 2, 10, 80] }, [1, 2, 10, 80]],
    ['stepWeight 30 to the default maxWeight 100', { stepWeight: 30, maxWeight: undefined }, [30, 60, 90, 100]],
  ] as const) {
    it(`when a canary with ${label} steps and is promoted, then the route carries Flagger's weights at every step`, async () => {
      const ex = podinfo('podinfo-canary', (c) => { Object.assign(c.spec.analysis!, analysis); });
      expect(effectiveAnalysis(ex.canary.spec).weights).to.deep.equal(ladder);
      await value(ex.router.reconcile(ex.canary));
      const seen = [weightsOf(routeOf(ex)?.spec)];
      for (const canary of [...ladder, 0]) {
        await value(ex.router.setRoutes(ex.canary, { primary: 100 - canary, canary, mirror: false }));
        seen.push(weightsOf(routeOf(ex)?.spec));
        expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100 - canary, canary, mirror: false });
      }
      const expected = [0, ...ladder, 0].map((c) => [['podinfo-primary', 100 - c], ['podinfo-canary', c]]);
      expect(seen).to.deep.equal(expected);
    });
  }

  it('when promotion is gradual (stepWeightPromotion 20 from 50/50), then the route shifts back 70/30, 90/10, 100/0 as Flagger\'s does', async () => {
    const ex = podinfo('podinfo-canary', (c) => { c.spec.analysis!.stepWeightPromotion = 20; });
    // Flagger: primaryWeight += stepWeightPromotion from 100 - maxWeight, capped at 100.
    expect(effectiveAnalysis(ex.canary.spec).promotionWeights).to.deep.equal([70, 90, 100]);
    await value(ex.router.setRoutes(ex.canary, { primary: 50, canary: 50, mirror: false }));
    const seen = [];
    for (const primary of effectiveAnalysis(ex.canary.spec).promotionWeights) {
      await value(ex.router.setRoutes(ex.canary, { primary, canary: 100 - primary, mirror: false }));
      seen.push(weightsOf(routeOf(ex)?.spec));
    }
    expect(seen).to.deep.equal([70, 90, 100].map((p) => [['podinfo-primary', p], ['podinfo-canary', 100 - p]]));
  });

  it('when the tutorial\'s A/B canary iterates, then matched requests go to the canary and the rest stays on the stable pods', async () => {
    const ex = podinfo('podinfo-ab-canary');
    await value(ex.router.setRoutes(ex.canary, { primary: 0, canary: 100, mirror: false }));
    const rules = routeOf(ex)?.spec?.rules ?? [];
    expect(rules).to.have.length(2);
    expect(rules[0]?.matches).to.deep.equal([
      { ...ROOT_MATCH, headers: [{ type: 'RegularExpression', name: 'user-agent', value: '.*Firefox.*' }] },
      { ...ROOT_MATCH, headers: [{ type: 'RegularExpression', name: 'cookie', value: '^(.*?;)?(type=insider)(;.*)?$' }] },
    ]);
    expect(weightsOf(routeOf(ex)?.spec, 0)).to.deep.equal([['podinfo-primary', 0], ['podinfo-canary', 100]]);
    expect(rules[1]).to.deep.equal({ matches: [ROOT_MATCH], backendRefs: [backend('podinfo-primary', 100)] });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 0, canary: 100, mirror: false });
  });

  it('when blue/green mirrors, then a RequestMirror filter shadows to the canary (at mirrorWeight percent) and goes when mirroring stops', async () => {
    const ex = podinfo('podinfo-canary', (c) => { c.spec.analysis = { ...c.spec.analysis, stepWeight: undefined, maxWeight: undefined, iterations: 5, mirror: true, mirrorWeight: 40 }; });
    await value(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }));
    expect(routeOf(ex)?.spec?.rules?.[0]?.filters).to.deep.equal([
      { type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'podinfo-canary', port: 9898 }, percent: 40 } },
    ]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100, canary: 0, mirror: true });
    await value(ex.router.setRoutes(ex.canary, { primary: 0, canary: 100, mirror: false }));
    expect(routeOf(ex)?.spec?.rules?.[0]).to.not.have.property('filters');
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 0, canary: 100, mirror: false });
  });

  it('when the service has headers, a rewrite, static mirrors, CORS and timeouts, then v1 maps them all as Flagger does', async () => {
    const ex = podinfo('podinfo-canary', (c) => {
      Object.assign(c.spec.service, {
        match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' }, queryParams: { v: { exact: '2' } } }],
        headers: { request: { set: { 'x-b': '2', 'x-a': '1' }, remove: ['x-debug'] }, response: { add: { 'x-served-by': 'davy' } } },
        rewrite: { uri: '/', type: 'ReplacePrefixMatch', authority: 'internal.example.com' },
        mirror: [{ backendRef: { name: 'shadow', port: 8080 } }],
        corsPolicy: { allowOrigin: ['https://example.com'], allowMethods: ['GET'], maxAge: '24h', allowCredentials: true },
        timeout: '30s',
        backendTimeout: '10s',
      });
    });
    await value(ex.router.reconcile(ex.canary));
    const rule = routeOf(ex)?.spec?.rules?.[0];
    expect(rule?.matches).to.deep.equal([{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET', queryParams: [{ type: 'Exact', name: 'v', value: '2' }] }]);
    expect(rule?.filters).to.deep.equal([
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }, { name: 'x-b', value: '2' }], remove: ['x-debug'] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'davy' }] } },
      { type: 'URLRewrite', urlRewrite: { hostname: 'internal.example.com', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'shadow', port: 8080 } } },
      { type: 'CORS', cors: { allowOrigins: ['https://example.com'], allowMethods: ['GET'], allowCredentials: true, maxAge: 86400 } },
    ]);
    expect(rule?.timeouts).to.deep.equal({ request: '30s', backendRequest: '10s' });
  });

  it('when the provider is gatewayapi:v1beta1, then the route is v1beta1 and carries neither timeouts nor CORS, as in Flagger', async () => {
    const ex = podinfo('podinfo-canary', (c) => { Object.assign(c.spec.service, { timeout: '30s', corsPolicy: { allowOrigin: ['*'] } }); }, 'gatewayapi:v1beta1');
    await value(ex.router.setRoutes(ex.canary, { primary: 70, canary: 30, mirror: false }));
    const route = routeOf(ex, 'gateway.networking.k8s.io/v1beta1');
    expect(route?.apiVersion).to.equal('gateway.networking.k8s.io/v1beta1');
    expect(route?.spec?.rules?.[0]).to.deep.equal({ matches: [ROOT_MATCH], backendRefs: [backend('podinfo-primary', 70), backend('podinfo-canary', 30)] });
  });

  it('when a Gateway has not accepted the route\'s latest generation, then getRoutes refuses to report weights', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, { primary: 80, canary: 20, mirror: false }));
    const route = routeOf(ex)!;
    const generation = route.metadata.generation ?? 1;
    const withStatus = (status: string, observed: number) => ({
      ...route, status: { parents: [{ parentRef: PARENT, controllerName: 'traefik.io/gateway-controller', conditions: [{ type: 'Accepted', status, observedGeneration: observed }] }] },
    });
    ex.kube.seed(withStatus('True', generation - 1));
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
    ex.kube.seed(withStatus('False', generation));
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
    ex.kube.seed(withStatus('True', generation));
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 80, canary: 20, mirror: false });
  });

  it('when finalized, then Davy\'s route is released to the user sending everything to the apex Service, and the side Services go', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, { primary: 60, canary: 40, mirror: false }));
    await value(ex.router.finalize(ex.canary));
    const route = routeOf(ex)!;
    expect(route.spec?.rules).to.deep.equal([{ matches: [ROOT_MATCH], backendRefs: [backend('podinfo', 1)] }]);
    expect(route.spec?.parentRefs).to.deep.equal([PARENT]);
    expect(route.metadata.labels ?? {}).to.not.have.property(LABEL_MANAGED_BY_CANARY);
    expect(route.metadata.ownerReferences ?? []).to.deep.equal([]);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
  });

  it('when an HTTPRoute of the apex name already exists, then it is adopted and restored exactly on finalize', async () => {
    const ex = podinfo();
    const spec = { parentRefs: [PARENT], rules: [{ matches: [{ path: { type: 'Exact', value: '/old' } }], backendRefs: [backend('podinfo', 1)] }] };
    ex.kube.seed({ apiVersion: V1, kind: 'HTTPRoute', metadata: { name: 'podinfo', namespace: 'test', labels: { team: 'a' } }, spec });
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false }));
    expect(routeOf(ex)?.metadata.annotations?.[ANNOTATION_ADOPTED]).to.be.a('string');
    expect(weightsOf(routeOf(ex)?.spec)).to.deep.equal([['podinfo-primary', 90], ['podinfo-canary', 10]]);
    await value(ex.router.finalize(ex.canary));
    expect(routeOf(ex)?.spec).to.deep.equal(spec);
    expect(routeOf(ex)?.metadata.annotations ?? {}).to.not.have.property(ANNOTATION_ADOPTED);
    expect(routeOf(ex)?.metadata.labels).to.deep.equal({ team: 'a' });
  });

  it('when the route is controlled by someone else, then reconcile reports a conflict and changes nothing', async () => {
    const ex = podinfo();
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'other', uid: 'u1', controller: true };
    ex.kube.seed({ apiVersion: V1, kind: 'HTTPRoute', metadata: { name: 'podinfo', namespace: 'test', ownerReferences: [owner] }, spec: { rules: [] } });
    const before = routeOf(ex);
    expect(await problem(ex.router.reconcile(ex.canary))).to.equal('ObjectConflict');
    expect(routeOf(ex)).to.deep.equal(before);
  });

  it('when weights do not add up to 100, then setRoutes refuses them and writes nothing', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const before = versions(ex.kube);
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 50, canary: 60, mirror: false }))).to.equal('InvalidRoutes');
    expect(versions(ex.kube)).to.deep.equal(before);
  });
});

describe('gatewayapi router: session affinity (Flagger\'s podinfo-canary-session-affinity tutorial)', () => {
  const CANARY_COOKIE = 'flagger-cookie=AbCdEfGhIj';
  const setCookie = (headerValue: string) => [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: headerValue }] } }];
  const byCookie = (cookie: string) => [{ ...ROOT_MATCH, headers: [{ type: 'RegularExpression', name: 'Cookie', value: `^(.*;\\s*)?${cookie}(\\s*;.*)?$` }] }];

  it('when the canary has traffic, then its answers set the run\'s cookie and a rule sends requests carrying it to the canary alone', async () => {
    const ex = podinfo('podinfo-canary-session-affinity');
    await value(ex.router.setRoutes(ex.canary, { primary: 90, canary: 10, mirror: false, cookies: { canary: CANARY_COOKIE } }));
    expect(routeOf(ex)?.spec?.rules).to.deep.equal([
      { matches: byCookie(CANARY_COOKIE), backendRefs: [backend('podinfo-canary', 100)] },
      {
        matches: [ROOT_MATCH],
        backendRefs: [backend('podinfo-primary', 90), { ...backend('podinfo-canary', 10), filters: setCookie(`${CANARY_COOKIE}; Max-Age=21600`) }],
      },
    ]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 90, canary: 10, mirror: false, cookies: { canary: CANARY_COOKIE } });
    // The cookie regex takes the cookie among others, and not a cookie that merely contains it.
    const regex = new RegExp(byCookie(CANARY_COOKIE)[0]!.headers[0]!.value);
    expect(['flagger-cookie=AbCdEfGhIj', 'a=1; flagger-cookie=AbCdEfGhIj; b=2', 'a=1;flagger-cookie=AbCdEfGhIj'].every((h) => regex.test(h))).to.equal(true);
    expect(['x-flagger-cookie=AbCdEfGhIj', 'flagger-cookie=AbCdEfGhIjK', 'flagger-cookie=other'].some((h) => regex.test(h))).to.equal(false);
  });

  it('when the route is reconciled during a run, then the cookie rules stay and nothing is written', async () => {
    const ex = podinfo('podinfo-canary-session-affinity', (c) => { c.spec.analysis!.sessionAffinity!.primaryCookieName = 'flagger-primary'; });
    await value(ex.router.setRoutes(ex.canary, { primary: 80, canary: 20, mirror: false, cookies: { canary: CANARY_COOKIE, primary: 'flagger-primary=KlMnOpQrSt' } }));
    const before = versions(ex.kube);
    await value(ex.router.reconcile(ex.canary));
    expect(versions(ex.kube)).to.deep.equal(before);
    const rules = routeOf(ex)?.spec?.rules ?? [];
    expect(rules.map((r) => r.backendRefs?.map((b) => b.name))).to.deep.equal([['podinfo-canary'], ['podinfo-primary'], ['podinfo-primary', 'podinfo-canary']]);
    // The primary cookie lives one analysis interval (1m): a client stays on the stable pods until the next step.
    expect(rules[2]?.backendRefs?.[0]?.filters).to.deep.equal(setCookie('flagger-primary=KlMnOpQrSt; Max-Age=60'));
  });

  it('when traffic has left the canary, then requests still carrying the run\'s cookie go to the stable pods and are told to drop it', async () => {
    const ex = podinfo('podinfo-canary-session-affinity', (c) => {
      Object.assign(c.spec.analysis!.sessionAffinity!, { path: '/', secure: true, sameSite: 'Lax' });
      c.spec.service.headers = { response: { add: { 'x-served-by': 'davy' } } };
    });
    await value(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: false, cookies: { expired: CANARY_COOKIE } }));
    const [expire, weighted] = routeOf(ex)?.spec?.rules ?? [];
    expect(expire).to.deep.equal({
      matches: byCookie(CANARY_COOKIE),
      // One ResponseHeaderModifier per rule: the expiry joins the one service.headers makes.
      filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'davy' }, { name: 'Set-Cookie', value: `${CANARY_COOKIE}; Max-Age=-1; Path=/; SameSite=Lax; Secure` }] } }],
      backendRefs: [backend('podinfo-primary', 100)],
    });
    expect(weighted?.backendRefs).to.deep.equal([backend('podinfo-primary', 100), backend('podinfo-canary', 0)]);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal({ primary: 100, canary: 0, mirror: false, cookies: { expired: CANARY_COOKIE } });
  });

  it('when the canary runs A/B, then cookies are not routed (the match decides)', async () => {
    const ex = podinfo('podinfo-ab-canary', (c) => { c.spec.analysis!.sessionAffinity = { cookieName: 'flagger-cookie' }; });
    await value(ex.router.setRoutes(ex.canary, { primary: 0, canary: 100, mirror: false, cookies: { canary: CANARY_COOKIE } }));
    expect(JSON.stringify(routeOf(ex)?.spec)).to.not.include('flagger-cookie');
  });
});
