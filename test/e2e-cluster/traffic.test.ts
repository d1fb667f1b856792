// Promotion and rollback decided by real requests (issue 12): Traefik splits them between real
// podinfo pods on the real node as Davy's HTTPRoute weights say, Flagger's load tester sends them
// (the Canaries' own webhooks: a curl acceptance test and hey load), a real Prometheus measures
// them, and Davy's in-cluster stepper judges the shipped Traefik MetricTemplates. The faulty
// revisions are podinfo's own faults: `PODINFO_RANDOM_ERROR` (a third of requests answer 500, 400
// or 409) and `PODINFO_RANDOM_DELAY` (0-5 s per request).
//
// The five Canaries run side by side, each in its own namespace, so the suite waits for the
// slowest rather than the sum.
import http from 'node:http';
import { expect } from 'chai';
import { inCluster } from './hooks.js';
import { ask, loadTester, startGateway, traefikCanaryShare, versionsServed, type Gateway, type Target } from '../harness/gateway.js';
import { PODINFO_NEXT, apply, canaryEvents, canaryPhase, podinfoDeployment, pods } from './podinfo.js';
import { eventually } from '../harness/process.js';
import { testNamespace } from '../harness/cluster.js';
import type { KubeObject } from '../../src/kube/client.js';

const NEW_VERSION = '6.9.3';
const OLD_VERSION = '6.9.2';
const host = (namespace: string) => `podinfo.${namespace}.example.com`;
/**
 * The latency check's bound. Traefik's duration buckets are 0.1, 0.3, 1.2 and 5 s, so a P99 reads
 * as an interpolation inside one of them: on this shared 2-core machine a healthy podinfo's P99
 * lands in the 0.3-1.2 s bucket at times (up to 1,200 ms), and the slow release's in the 1.2-5 s
 * one (about 4,900 ms). 2,000 ms tells them apart; the tutorial's 500 ms would not.
 */
const LATENCY_MAX_MS = 2000;

interface CanaryObject extends KubeObject { status?: { phase?: string; canaryWeight?: number } }
interface Observation { weight: number; served: Map<string, number>; traefikShare?: number }
interface ABObservation { insiders: Map<string, number>; others: Map<string, number>; phase?: string }

/** Traefik applies a route change within about two seconds (its providers' throttle); samples wait this long. */
const DATA_PLANE_SETTLE_MS = 3_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface CanaryOptions {
  analysis: Record<string, unknown>;
  /** Extra hey flags, e.g. a header for A/B. */
  loadHeaders?: string;
  /** The tutorial's curl acceptance test before the rollout (left out for faulty releases, whose
   *  failed curl would count as a failed check and blur which check rolled them back). */
  acceptanceTest?: boolean;
}

/**
 * A Canary as Flagger's Gateway API tutorial writes it, on Traefik, shortened to 10 s steps. The
 * tutorial's threshold is 5; the first check after the load test starts finds no canary requests
 * yet ("no values found"), as it does under Flagger, and counts as one failure.
 */
function gatewayCanary(namespace: string, { analysis, loadHeaders = '', acceptanceTest = true }: CanaryOptions): KubeObject {
  const tester = `http://flagger-loadtester.${namespace}/`;
  const acceptance = {
    name: 'acceptance-test', type: 'pre-rollout', url: tester, timeout: '30s',
    metadata: { type: 'bash', cmd: `curl -sd 'test' http://podinfo-canary.${namespace}:9898/token | grep token` },
  };
  return {
    apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace },
    spec: {
      provider: 'gatewayapi:v1',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      progressDeadlineSeconds: 120,
      service: { port: 9898, targetPort: 9898, hosts: [host(namespace)], gatewayRefs: [{ name: 'gateway', namespace: 'traefik' }] },
      analysis: {
        interval: '10s',
        threshold: 5,
        metrics: [
          { name: 'success-rate', templateRef: { name: 'traefik-request-success-rate', namespace: 'davy-system' }, thresholdRange: { min: 99 }, interval: '30s' },
          { name: 'latency', templateRef: { name: 'traefik-request-duration', namespace: 'davy-system' }, thresholdRange: { max: LATENCY_MAX_MS }, interval: '30s' },
        ],
        webhooks: [
          ...(acceptanceTest ? [acceptance] : []),
          {
            name: 'load-test', url: tester, timeout: '5s',
            metadata: { cmd: `hey -z 3m -q 5 -c 2 ${loadHeaders}-host ${host(namespace)} http://traefik.traefik/` },
          },
        ],
        ...analysis,
      },
    },
  };
}

interface RouteObject extends KubeObject { spec: { rules: { backendRefs?: { name: string; weight?: number }[] }[] } }
const getRoute = (namespace: string) =>
  inCluster().cluster.kube.get<RouteObject>({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace, name: 'storefront' });

const getCanary = (namespace: string) =>
  inCluster().cluster.kube.get<CanaryObject>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace, name: 'podinfo' });

/**
 * podinfo (one replica), the load tester, `extra` objects and the Canary in a new namespace,
 * Initialized; `beforeCanary` runs just before the Canary is applied.
 */
async function canaried(namespace: string, canary: KubeObject, extra: KubeObject[] = [], beforeCanary: () => Promise<unknown> = () => Promise.resolve()): Promise<void> {
  const { cluster } = inCluster();
  await cluster.createNamespace(namespace);
  await apply(cluster, [podinfoDeployment(namespace, 1), ...loadTester(namespace), ...extra]);
  await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/podinfo', '--timeout=120s']);
  await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/flagger-loadtester', '--timeout=120s']);
  await beforeCanary();
  await apply(cluster, [canary]);
  await canaryPhase(cluster, namespace, 'Initialized', 150_000);
}

/** What a user types: the new tag, and for a faulty release podinfo's own fault switch. */
async function release(namespace: string, env: Record<string, string> = {}): Promise<void> {
  const { cluster } = inCluster();
  await cluster.kubectlOk(['-n', namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${PODINFO_NEXT}`]);
  if (Object.keys(env).length > 0) {
    await cluster.kubectlOk(['-n', namespace, 'set', 'env', 'deployment/podinfo', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)]);
  }
}

/**
 * Until the Canary reaches `phase`: at each canary weight above 0, 200 requests through the gateway,
 * kept only if the weight did not move while they were sent.
 */
async function watchRollout(
  gateway: Gateway, namespace: string, phase: string, timeoutMs: number, target: Target = { host: host(namespace) },
): Promise<Observation[]> {
  const seen: Observation[] = [];
  const sampled = new Set<number>();
  await eventually(`Canary ${namespace}/podinfo to reach ${phase}`, async () => {
    const before = await getCanary(namespace);
    const weight = before?.status?.canaryWeight ?? 0;
    if (before?.status?.phase === 'Progressing' && weight > 0 && !sampled.has(weight)) {
      await sleep(DATA_PLANE_SETTLE_MS);
      const served = await versionsServed(gateway, target, 200);
      const after = await getCanary(namespace);
      if (after?.status?.canaryWeight === weight) {
        sampled.add(weight);
        await sleep(1_500); // one more scrape
        seen.push({ weight, served, traefikShare: await traefikCanaryShare(gateway, namespace, '4s') });
      }
    }
    return before?.status?.phase === phase ? true : undefined;
  }, timeoutMs, 500);
  await routedOffCanary(namespace);
  return seen;
}

/**
 * The stepper records the end of a rollout before it moves the routes (state first), and Traefik
 * applies a route change a moment later: until every HTTPRoute in `namespace` sends nothing to the
 * canary Service, then the data plane's settle time.
 */
async function routedOffCanary(namespace: string): Promise<void> {
  await eventually(`the HTTPRoutes in ${namespace} to send nothing to podinfo-canary`, async () => {
    const listed = await inCluster().cluster.kubectlOk(['-n', namespace, 'get', 'httproutes', '-o', 'json']);
    const routes = JSON.parse(listed) as { items: RouteObject[] };
    const toCanary = routes.items.flatMap((r) => r.spec.rules.flatMap((rule) => rule.backendRefs ?? []))
      .filter((b) => b.name === 'podinfo-canary' && (b.weight ?? 1) > 0);
    return toCanary.length === 0 ? true : undefined;
  }, 30_000, 500);
  await sleep(DATA_PLANE_SETTLE_MS);
}

const shop = (namespace: string) => `shop.${namespace}.example.com`;

/**
 * The user's own HTTPRoute on the gateway: /api/* to podinfo with a header set, the prefix
 * rewritten away and a timeout; /static to another Service. Davy may change only the weights of
 * the first rule's backends.
 */
function userRoute(namespace: string): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'storefront', namespace },
    spec: {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gateway', namespace: 'traefik', sectionName: 'web' }],
      hostnames: [shop(namespace)],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-tenant', value: 'shop' }] } },
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
          ],
          timeouts: { request: '10s' },
          backendRefs: [{ group: '', kind: 'Service', name: 'podinfo', port: 9898, weight: 1 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/static' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'flagger-loadtester', port: 80, weight: 1 }],
        },
      ],
    },
  };
}

/** The Canary of the user's route: no route of its own, one step to 50%, no metrics. */
function routeRefCanary(namespace: string): KubeObject {
  const canary = gatewayCanary(namespace, { analysis: { maxWeight: 50, stepWeight: 50, metrics: [] } }) as KubeObject & { spec: Record<string, unknown> & { analysis: { webhooks: { name: string; metadata: { cmd: string } }[] } } };
  canary.spec.service = { port: 9898, targetPort: 9898, routeRef: { name: 'storefront' } };
  for (const hook of canary.spec.analysis.webhooks.filter((w) => w.name === 'load-test')) {
    hook.metadata.cmd = `hey -z 3m -q 5 -c 2 -host ${shop(namespace)} http://traefik.traefik/api/`;
  }
  return canary;
}

/** Until the A/B Canary succeeds: once, after its route changed, requests with and without the header. */
async function watchAB(gateway: Gateway, namespace: string, timeoutMs: number): Promise<ABObservation | undefined> {
  let seen: ABObservation | undefined;
  await eventually(`Canary ${namespace}/podinfo to reach Succeeded`, async () => {
    const canary = await getCanary(namespace);
    if (!seen && canary?.status?.phase === 'Progressing' && (canary.status as { iterations?: number }).iterations) {
      await sleep(DATA_PLANE_SETTLE_MS);
      const insiders = await versionsServed(gateway, { host: host(namespace), headers: { 'x-canary': 'insider' } }, 40);
      const others = await versionsServed(gateway, { host: host(namespace) }, 40);
      seen = { insiders, others, phase: (await getCanary(namespace))?.status?.phase };
    }
    return canary?.status?.phase === 'Succeeded' ? true : undefined;
  }, timeoutMs, 500);
  return seen;
}

/** The Warning events' messages of the Canary. */
async function warnings(namespace: string): Promise<string[]> {
  return (await canaryEvents(inCluster().cluster, namespace)).filter((e) => (e as { type?: string }).type === 'Warning').map((e) => e.message);
}

describe('Real traffic through Traefik on the real node decides promotion and rollback', function () {
  let gateway: Gateway;
  const ns = { promote: testNamespace('traffic-ok'), errors: testNamespace('traffic-5xx'), slow: testNamespace('traffic-slow'), ab: testNamespace('traffic-ab'), route: testNamespace('traffic-route') };
  const rollouts = new Map<string, Promise<Observation[]>>();
  let abTest: Promise<ABObservation | undefined>;
  let routeAsFound: RouteObject | undefined;

  before(async function () {
    this.timeout(400_000);
    const { cluster, stateDir } = inCluster();
    gateway = await startGateway(cluster, `${stateDir}/gateway`);
    const progressive = { maxWeight: 50, stepWeight: 25 };
    // A faulty release is rolled back after two failures: the first check's "no values found" and one real one.
    const faulty = { analysis: { ...progressive, threshold: 2 }, acceptanceTest: false };
    const ab = { iterations: 4, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] };
    await Promise.all([
      canaried(ns.promote, gatewayCanary(ns.promote, { analysis: progressive })),
      canaried(ns.errors, gatewayCanary(ns.errors, faulty)),
      canaried(ns.slow, gatewayCanary(ns.slow, faulty)),
      canaried(ns.ab, gatewayCanary(ns.ab, { analysis: ab, loadHeaders: "-H 'x-canary: insider' " })),
      canaried(ns.route, routeRefCanary(ns.route), [userRoute(ns.route)], async () => { routeAsFound = await getRoute(ns.route); }),
    ]);
    await Promise.all([
      release(ns.promote), release(ns.errors, { PODINFO_RANDOM_ERROR: 'true' }), release(ns.slow, { PODINFO_RANDOM_DELAY: 'true' }), release(ns.ab), release(ns.route),
    ]);
    rollouts.set(ns.promote, watchRollout(gateway, ns.promote, 'Succeeded', 360_000));
    rollouts.set(ns.errors, watchRollout(gateway, ns.errors, 'Failed', 360_000));
    rollouts.set(ns.slow, watchRollout(gateway, ns.slow, 'Failed', 360_000));
    rollouts.set(ns.route, watchRollout(gateway, ns.route, 'Succeeded', 360_000, { host: shop(ns.route), path: '/api/version' }));
    abTest = watchAB(gateway, ns.ab, 360_000);
    for (const promise of [...rollouts.values(), abTest]) promise.catch(() => undefined);
  });

  after(async function () {
    this.timeout(120_000);
    await gateway?.stop();
    await Promise.all(Object.values(ns).map((n) => inCluster().cluster.deleteNamespace(n)));
  });

  it('when a good release runs under load, then the canary\'s share of requests follows the weights and the new version is promoted', async function () {
    this.timeout(400_000);
    const observed = await rollouts.get(ns.promote)!;
    console.log(`      observed: ${observed.map((o) => `weight ${o.weight}%: ${o.served.get(NEW_VERSION) ?? 0}/200 to ${NEW_VERSION}` +
      (o.traefikShare === undefined ? '' : `, Traefik's metrics ${(100 * o.traefikShare).toFixed(1)}%`)).join('; ')}`);
    expect(observed, 'no step was sampled at a stable weight').to.not.be.empty;
    for (const { weight, served } of observed) {
      const share = (100 * (served.get(NEW_VERSION) ?? 0)) / 200;
      // 200 requests at p = 0.5 have a standard deviation of 3.5 points: 15 is over four.
      expect(Math.abs(share - weight), `weight ${weight}%, served ${JSON.stringify([...served])}`).to.be.at.most(15);
      expect([...served.keys()].sort(), 'only the two versions answer, never an error').to.deep.equal([OLD_VERSION, NEW_VERSION].sort());
    }
    const afterPromotion = await versionsServed(gateway, { host: host(ns.promote) }, 50);
    expect([...afterPromotion]).to.deep.equal([[NEW_VERSION, 50]]);
    const userPods = await pods(inCluster().cluster, ns.promote, 'app=podinfo');
    expect(userPods.map((p) => p.spec.containers[0]!.image)).to.include(PODINFO_NEXT);
  });

  it('when a release answers 5xx, then the success-rate check Prometheus computed from Traefik fails it and the stable version keeps serving', async function () {
    this.timeout(400_000);
    await rollouts.get(ns.errors)!;
    const halts = (await warnings(ns.errors)).filter((m) => /advancement success-rate [\d.]+ < 99$/.test(m));
    expect(halts, 'a Halt event with the success rate Prometheus computed').to.not.be.empty;
    console.log(`      ${halts.join('; ')}`);
    // A ninth of podinfo's answers are 500 under PODINFO_RANDOM_ERROR (a third are errors: 500, 400 or 409).
    const value = Number(/success-rate ([\d.]+) < 99/.exec(halts[0]!)![1]);
    expect(value, halts[0]).to.be.within(50, 99);
    const served = await versionsServed(gateway, { host: host(ns.errors) }, 50);
    expect([...served]).to.deep.equal([[OLD_VERSION, 50]]);
  });

  it('when a release is slow, then the latency check fails it and the stable version keeps serving', async function () {
    this.timeout(400_000);
    await rollouts.get(ns.slow)!;
    const halts = (await warnings(ns.slow)).filter((m) => new RegExp(`advancement latency [\\d.]+ > ${LATENCY_MAX_MS}$`).test(m));
    expect(halts, 'a Halt event with the P99 latency Prometheus computed').to.not.be.empty;
    console.log(`      ${halts.join('; ')}`);
    // podinfo's PODINFO_RANDOM_DELAY waits 0-5 s: a P99 in Traefik's 1.2-5 s bucket.
    const value = Number(/latency ([\d.]+) > /.exec(halts[0]!)![1]);
    expect(value, halts[0]).to.be.within(LATENCY_MAX_MS, 5000);
    const served = await versionsServed(gateway, { host: host(ns.slow) }, 50);
    expect([...served]).to.deep.equal([[OLD_VERSION, 50]]);
  });

  it('when an A/B release runs, then requests with the header reach only the canary and requests without never do', async function () {
    this.timeout(400_000);
    const seen = await abTest;
    expect(seen, 'the A/B Canary was never seen Progressing with its route changed').to.not.equal(undefined);
    expect(seen!.phase, 'still Progressing after the requests').to.equal('Progressing');
    expect([...seen!.insiders]).to.deep.equal([[NEW_VERSION, 40]]);
    expect([...seen!.others]).to.deep.equal([[OLD_VERSION, 40]]);
  });

  it('when a Canary names the user\'s HTTPRoute, then its filters still act on real requests, the split follows the weight, and deleting the Canary restores the route', async function () {
    this.timeout(400_000);
    const observed = await rollouts.get(ns.route)!;
    console.log(`      observed through the user's route: ${observed.map((o) => `weight ${o.weight}%: ${o.served.get(NEW_VERSION) ?? 0}/200 to ${NEW_VERSION}`).join('; ')}`);
    expect(observed.map((o) => o.weight)).to.deep.equal([50]);
    expect(Math.abs((100 * (observed[0]!.served.get(NEW_VERSION) ?? 0)) / 200 - 50), JSON.stringify([...observed[0]!.served])).to.be.at.most(15);
    // podinfo's /headers echoes the request's headers: the route's rewrite and header filter acted.
    const agent = new http.Agent();
    const echoed = await ask(gateway, agent, { host: shop(ns.route), path: '/api/headers' }).finally(() => agent.destroy());
    expect(echoed.status).to.equal(200);
    expect((echoed.body as Record<string, string[]>)['X-Tenant']).to.deep.equal(['shop']);
    const during = await getRoute(ns.route);
    expect(during!.spec.rules[1]).to.deep.equal(routeAsFound!.spec.rules[1]);

    await inCluster().cluster.kubectlOk(['-n', ns.route, 'delete', 'canary', 'podinfo', '--wait=false']);
    const restored = await eventually('the user\'s route restored', async () => {
      const route = await getRoute(ns.route);
      return route?.spec.rules[0]?.backendRefs?.map((b) => b.name).join() === 'podinfo' ? route : undefined;
    }, 120_000, 1_000);
    expect(restored.spec).to.deep.equal(routeAsFound!.spec);
  });
});
