import { expect } from 'chai';
import { LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { Canary } from '../../../src/api/types.js';
import type { Ingress } from '../../../src/routers/canary-ingress.js';
import { nginxMatch, nginxRouter } from '../../../src/routers/nginx.js';
import type { Routes } from '../../../src/routers/router.js';
import { example, names, problem, reconcilesOnce, rollsOut, value } from './cluster.js';

const NGINX = 'nginx.ingress.kubernetes.io';
const ingressRef = (name: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name, namespace: 'test' });
const routes = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

function podinfo(file: 'podinfo-canary-nginx' | 'podinfo-canary-nginx-ab' = 'podinfo-canary-nginx', prefix?: string) {
  const ex = example(file, 'podinfo-deployment', 'podinfo-ingress-nginx');
  return { ...ex, router: nginxRouter({ kube: ex.kube, ...(prefix ? { ingressAnnotationsPrefix: prefix } : {}) }) };
}

const cloneOf = (ex: ReturnType<typeof podinfo>) => ex.kube.peek<Ingress>(ingressRef('podinfo-canary'));
/** The clone's annotations under a prefix, without the prefix. */
function canaryAnnotations(ex: ReturnType<typeof podinfo>, prefix = NGINX): Record<string, string> {
  const all = cloneOf(ex)?.metadata.annotations ?? {};
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(`${prefix}/`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
}

describe('nginx router (Flagger\'s NGINX tutorial)', () => {
  it('when reconciled, then podinfo-canary is the user\'s Ingress pointed at podinfo-canary, canary "true" and weight "0"', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const clone = cloneOf(ex)!;
    expect(clone.spec?.ingressClassName).to.equal('nginx');
    expect(clone.spec?.rules?.[0]?.host).to.equal('app.example.com');
    expect(clone.spec?.rules?.[0]?.http?.paths[0]?.backend.service).to.deep.equal({ name: 'podinfo-canary', port: { number: 80 } });
    expect(canaryAnnotations(ex)).to.deep.equal({ canary: 'true', 'canary-weight': '0' });
    expect(clone.metadata.labels).to.include({ app: 'podinfo', [LABEL_MANAGED_BY_CANARY]: 'podinfo' });
    expect(clone.metadata.ownerReferences?.[0]).to.include({ kind: 'Canary', name: 'podinfo', controller: true });
    expect(ex.kube.peek<Ingress>(ingressRef('podinfo'))?.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).to.equal('podinfo');
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo', 'podinfo-canary', 'podinfo-primary']);
  });

  it('when reconciled twice, then the second pass writes nothing', () => reconcilesOnce(podinfo()));

  it('when a rollout steps 5% to 50% and promotes, then canary-weight follows every step and reconcile keeps it', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    await rollsOut(ex, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], (weight) => expect(canaryAnnotations(ex)['canary-weight']).to.equal(String(weight)));
    await value(ex.router.setRoutes(ex.canary, routes(0)));
    expect(canaryAnnotations(ex)).to.deep.equal({ canary: 'true', 'canary-weight': '0' });
  });

  it('when a rollout at 20% rolls back, then the weight is 0 again and the clone still routes to podinfo-canary', async () => {
    const ex = podinfo();
    await value(ex.router.setRoutes(ex.canary, routes(20)));
    await value(ex.router.setRoutes(ex.canary, routes(0)));
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(0));
    expect(cloneOf(ex)?.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).to.equal('podinfo-canary');
  });

  it('when the A/B canary routes its matched traffic, then by-header/-value and by-cookie are set with weight 0, and removed after', async () => {
    const ex = podinfo('podinfo-canary-nginx-ab');
    await value(ex.router.reconcile(ex.canary));
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    expect(canaryAnnotations(ex)).to.deep.equal({
      canary: 'true', 'canary-weight': '0', 'canary-by-header': 'x-canary', 'canary-by-header-value': 'insider', 'canary-by-cookie': 'canary',
    });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(100));
    await value(ex.router.setRoutes(ex.canary, routes(0)));
    expect(canaryAnnotations(ex)).to.deep.equal({ canary: 'true', 'canary-weight': '0' });
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(routes(0));
  });

  it('when the header is matched by regex, then canary-by-header-pattern carries it', async () => {
    const ex = podinfo('podinfo-canary-nginx-ab');
    ex.canary.spec.analysis!.match = [{ headers: { 'user-agent': { regex: '.*Firefox.*' } } }];
    await value(ex.router.setRoutes(ex.canary, routes(100)));
    expect(canaryAnnotations(ex)).to.deep.include({ 'canary-by-header': 'user-agent', 'canary-by-header-pattern': '.*Firefox.*' });
  });

  it('when the stepper runs with another annotation prefix, then the clone carries that prefix only', async () => {
    const ex = podinfo('podinfo-canary-nginx', 'custom.ingress.kubernetes.io');
    await value(ex.router.setRoutes(ex.canary, routes(10)));
    expect(canaryAnnotations(ex, 'custom.ingress.kubernetes.io')).to.deep.equal({ canary: 'true', 'canary-weight': '10' });
    expect(canaryAnnotations(ex)).to.deep.equal({});
  });

  it('when the user\'s Ingress carries canary annotations of its own, then the clone does not copy them', async () => {
    const ex = podinfo();
    const user = ex.kube.peek<Ingress>(ingressRef('podinfo'))!;
    await ex.kube.replace({ ...user, metadata: { ...user.metadata, annotations: { [`${NGINX}/canary-by-header`]: 'stale', [`${NGINX}/rewrite-target`]: '/' } } });
    await value(ex.router.reconcile(ex.canary));
    expect(canaryAnnotations(ex)).to.deep.equal({ canary: 'true', 'canary-weight': '0', 'rewrite-target': '/' });
  });

  it('when finalized, then podinfo-canary and -primary/-canary Services are gone, and the user\'s Ingress is untouched', async () => {
    const ex = podinfo();
    const before = ex.kube.peek<Ingress>(ingressRef('podinfo'))!;
    await value(ex.router.setRoutes(ex.canary, routes(30)));
    await value(ex.router.finalize(ex.canary));
    expect(names(ex.kube, 'Ingress')).to.deep.equal(['podinfo']);
    expect(names(ex.kube, 'Service')).to.deep.equal(['podinfo']);
    expect(ex.kube.peek<Ingress>(ingressRef('podinfo'))).to.deep.equal(before);
  });

  it('when ingressRef is missing, names no Ingress, or an Ingress without the apex backend, then the result is InvalidSpec', async () => {
    const missing = podinfo();
    delete (missing.canary.spec as Partial<Canary['spec']>).ingressRef;
    expect(await problem(missing.router.reconcile(missing.canary))).to.equal('InvalidSpec');
    const absent = podinfo();
    absent.canary.spec.ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'nowhere' };
    expect(await problem(absent.router.reconcile(absent.canary))).to.equal('InvalidSpec');
    const elsewhere = podinfo();
    elsewhere.canary.spec.service.name = 'frontend';
    expect(await problem(elsewhere.router.reconcile(elsewhere.canary))).to.equal('InvalidSpec');
    expect(names(elsewhere.kube, 'Ingress')).to.deep.equal(['podinfo']);
  });

  it('when mirroring is asked for, then the result is InvalidRoutes and nothing is written', async () => {
    const ex = podinfo();
    expect(await problem(ex.router.setRoutes(ex.canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
    expect(names(ex.kube, 'Ingress')).to.deep.equal(['podinfo']);
  });

  it('when the clone\'s weight annotation is not a percentage, then getRoutes reports NotReconciled', async () => {
    const ex = podinfo();
    await value(ex.router.reconcile(ex.canary));
    const clone = cloneOf(ex)!;
    await ex.kube.replace({ ...clone, metadata: { ...clone.metadata, annotations: { ...clone.metadata.annotations, [`${NGINX}/canary-weight`]: 'half' } } });
    expect(await problem(ex.router.getRoutes(ex.canary))).to.equal('NotReconciled');
  });
});

describe('nginxMatch', () => {
  it('when one header and one cookie are matched, then both are read', () => {
    expect(nginxMatch([{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }]))
      .to.deep.equal({ ok: true, value: { header: 'x-canary', headerValue: 'insider', cookie: 'canary' } });
  });

  const refused: [string, Parameters<typeof nginxMatch>[0], string][] = [
    ['a prefix header', [{ headers: { 'x-canary': { prefix: 'in' } } }], 'spec.analysis.match[0].headers.x-canary'],
    ['two headers', [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }], 'spec.analysis.match[1].headers.b'],
    ['a query parameter', [{ queryParams: { q: { exact: '1' } } }], 'spec.analysis.match[0].queryParams'],
    ['a cookie by regex', [{ headers: { cookie: { regex: 'can.*' } } }], 'spec.analysis.match[0].headers.cookie'],
    ['nothing to route on', [{}], 'spec.analysis.match[0]'],
  ];
  for (const [what, match, path] of refused) {
    it(`when the match has ${what}, then it is refused at ${path}`, () => {
      const result = nginxMatch(match);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error.message.startsWith(`${path}:`)).to.equal(true, result.error.message);
    });
  }
});
