// The traefik router on real requests (issue 13): a Canary with `provider: traefik`, as Flagger's
// Traefik tutorial writes it (service port 80 onto podinfo's 9898, the builtin
// request-success-rate and request-duration), behind the user's IngressRoute that names Davy's
// TraefikService. Traefik on the real node (its kubernetescrd provider) splits the requests of
// Flagger's load tester between podinfo's -primary and -canary Services as the TraefikService's
// weights say; the builtin checks are Davy's traefik observer's queries, run against the real
// Prometheus scraping Traefik. A good release promotes; one answering 5xx rolls back on the success
// rate.
//
// Both Canaries run side by side, each in its own namespace, so the file takes as long as the
// slower rollout.
import { expect } from 'chai';
import { inCluster } from './hooks.js';
import { crdBackend, startGateway, versionsServed, type Gateway } from '../harness/gateway.js';
import { apply, podinfoDeployment } from './podinfo.js';
import {
  LATENCY_MAX_MS, NEW_VERSION, OLD_VERSION, canaried, describeObserved, expectSharesFollowWeights, servedOnceSettled,
  haltsMatching, metricChecks, release, watchRollout, type Observation, type Route,
} from './rollout.js';
import { eventually } from '../harness/process.js';
import { testNamespace } from '../harness/cluster.js';
import type { KubeObject } from '../../src/kube/client.js';
import type { Canary } from '../../src/api/types.js';
import { traefikShape } from '../../src/routers/traefik.js';

const PORT = 80;
const host = (namespace: string) => `app.${namespace}.example.com`;
const viaIngressRoute = (namespace: string): Route => ({
  target: { host: host(namespace) }, backend: crdBackend(namespace, PORT),
});

interface WeightedService { name: string; port?: number; weight?: number }
interface TraefikServiceObject extends KubeObject { spec?: { weighted?: { services?: WeightedService[] } } }
/** At rest the canary is left out of the TraefikService. */
const PRIMARY_ONLY: WeightedService[] = [{ name: 'podinfo-primary', port: PORT, weight: 100 }];
const traefikService = (namespace: string) => inCluster().cluster.kube.get<TraefikServiceObject>(
  { apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService', namespace, name: 'podinfo' },
);

/** The user's route, as in Flagger's tutorial: the host on the `web` entry point, to the TraefikService Davy owns. */
function ingressRoute(namespace: string): KubeObject {
  return {
    apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'podinfo', namespace },
    spec: {
      entryPoints: ['web'],
      routes: [{
        match: `Host(\`${host(namespace)}\`)`, kind: 'Rule',
        services: [{ name: 'podinfo', kind: 'TraefikService' }],
      }],
    },
  };
}

/**
 * Flagger's Traefik tutorial with 10 s steps of 25% to 50% and 30 s metric windows. The first
 * check can find no canary requests yet ("no values found") and count as one failure, as under
 * Flagger: the tutorial's threshold of 5 tolerates it. A faulty release is rolled back after two
 * failed checks on values Prometheus computed: its checks hold while there is no data (`onNoData:
 * hold`, Davy's), so "no values found" twice on a loaded machine cannot roll it back alone. It
 * has no acceptance test, whose failed curl would blur which check rolled it back.
 */
function traefikCanary(namespace: string, faulty: boolean): KubeObject {
  const tester = `http://flagger-loadtester.${namespace}/`;
  const acceptance = {
    name: 'acceptance-test', type: 'pre-rollout', url: tester, timeout: '30s',
    metadata: { type: 'bash', cmd: `curl -sd 'test' http://podinfo-canary.${namespace}/token | grep token` },
  };
  return {
    apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace },
    spec: {
      provider: 'traefik',
      metricsServer: 'http://prometheus.monitoring:9090',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      progressDeadlineSeconds: 120,
      service: { port: PORT, targetPort: 9898 },
      analysis: {
        interval: '10s', threshold: faulty ? 2 : 5, maxWeight: 50, stepWeight: 25,
        metrics: [
          { name: 'request-success-rate', interval: '30s', thresholdRange: { min: 99 } },
          { name: 'request-duration', interval: '30s', thresholdRange: { max: LATENCY_MAX_MS } },
        ].map((m) => (faulty ? { ...m, onNoData: 'hold' } : m)),
        webhooks: [
          ...(faulty ? [] : [acceptance]),
          {
            name: 'load-test', url: tester, timeout: '5s',
            metadata: { cmd: `hey -z 2m -q 5 -c 2 -host ${host(namespace)} http://traefik.traefik/` },
          },
        ],
      },
    },
  };
}

/**
 * What Traefik logs when it cannot read what it watches (RBAC, a missing CRD), or cannot build a
 * TraefikService (one of its Services has no endpoints).
 */
const READ_ERRORS = [
  /forbidden/i, /could not find the requested resource/i, /failed to (list|watch)/i, /error while building/i,
];

async function traefikReadErrors(): Promise<string[]> {
  const log = await inCluster().cluster.kubectlOk(['-n', 'traefik', 'logs', 'deployment/traefik']);
  return log.split('\n').filter((line) => READ_ERRORS.some((error) => error.test(line)));
}

describe('Real traffic through Traefik\'s TraefikService decides a traefik Canary', function () {
  let gateway: Gateway;
  const ns = {
    promote: testNamespace('traefik-ok'), errors: testNamespace('traefik-5xx'), empty: testNamespace('traefik-empty'),
  };
  const rollouts = new Map<string, Promise<Observation[]>>();

  before(async function () {
    this.timeout(300_000);
    const { cluster, stateDir } = inCluster();
    gateway = await startGateway(cluster, `${stateDir}/gateway-traefik`);
    // The user points the IngressRoute at the TraefikService once Davy has made it.
    const routed = async (namespace: string, canary: KubeObject) => {
      await canaried(namespace, canary);
      await apply(cluster, [ingressRoute(namespace)]);
    };
    await Promise.all([
      routed(ns.promote, traefikCanary(ns.promote, false)),
      routed(ns.errors, traefikCanary(ns.errors, true)),
    ]);
    await Promise.all([release(ns.promote), release(ns.errors, { PODINFO_RANDOM_ERROR: 'true' })]);
    rollouts.set(ns.promote, watchRollout(gateway, ns.promote, 'Succeeded', 240_000, viaIngressRoute(ns.promote)));
    rollouts.set(ns.errors, watchRollout(gateway, ns.errors, 'Failed', 240_000, viaIngressRoute(ns.errors)));
    for (const promise of rollouts.values()) promise.catch(() => undefined);
  });

  after(async function () {
    this.timeout(120_000);
    await gateway?.stop();
    await Promise.all(Object.values(ns).map((n) => inCluster().cluster.deleteNamespace(n)));
  });

  it('when a good release runs, then requests follow the weights and checks on Traefik promote it', async function () {
    this.timeout(300_000);
    const observed = await rollouts.get(ns.promote)!;
    console.log(`      observed: ${describeObserved(observed)}`);
    expectSharesFollowWeights(observed);
    // Traefik counted them, and the load tester's, under the names the traefik observer selects.
    for (const { weight, traefikShare } of observed) {
      expect(traefikShare, `Traefik's metrics at weight ${weight}%`).to.be.a('number');
      expect(Math.abs(100 * traefikShare! - weight), `Traefik's metrics at weight ${weight}%`).to.be.at.most(15);
    }

    const checks = await metricChecks(ns.promote);
    const shown = checks.map((c) => `${c.name} ${c.verdict}${c.value === undefined ? '' : ` ${c.value.toFixed(1)}`}`);
    console.log(`      checks: ${shown.join(', ')}`);
    const passed = (name: string) => checks.filter((c) => c.name === name && c.verdict === 'ok');
    expect(passed('request-success-rate'), 'a success rate Prometheus computed from Traefik').to.not.be.empty;
    expect(passed('request-duration'), 'a P99 Prometheus computed from Traefik').to.not.be.empty;
    for (const check of [...passed('request-success-rate'), ...passed('request-duration')]) {
      expect(check.query, check.name).to.include(`service=~"${ns.promote}-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd"`);
    }
    for (const check of passed('request-success-rate')) expect(check.value).to.be.within(99, 100);
    for (const check of passed('request-duration')) expect(check.value).to.be.within(0, LATENCY_MAX_MS);

    // Promoted: everything to the stable Services, the canary left out of the TraefikService.
    const afterPromotion = await versionsServed(gateway, { host: host(ns.promote) }, 50);
    expect([...afterPromotion]).to.deep.equal([[NEW_VERSION, 50]]);
    expect((await traefikService(ns.promote))?.spec?.weighted?.services).to.deep.equal(PRIMARY_ONLY);
  });

  it('when a release answers 5xx, then the success rate from Traefik rolls it back', async function () {
    this.timeout(300_000);
    await rollouts.get(ns.errors)!;
    // Flagger's wording for the builtin: "Halt podinfo.<ns> advancement success rate 88.89% < 99%".
    const halts = await haltsMatching(ns.errors, /advancement success rate [\d.]+% < 99%$/, 'a Halt event with the success rate Prometheus computed');
    // A ninth of podinfo's answers are 500 under PODINFO_RANDOM_ERROR (a third are errors: 500, 400 or 409).
    const value = Number(/success rate ([\d.]+)% < 99%/.exec(halts[0]!)![1]);
    expect(value, halts[0]).to.be.within(50, 99);
    // The rollback moved the weights before the status said Failed: Traefik applies them soon after.
    const served = await servedOnceSettled(gateway, { host: host(ns.errors) }, OLD_VERSION, 50);
    expect([...served]).to.deep.equal([[OLD_VERSION, 50]]);
    expect((await traefikService(ns.errors))?.spec?.weighted?.services).to.deep.equal(PRIMARY_ONLY);
  });

  it('when the copy has no ready endpoint while it has weight, then only its share fails', async function () {
    this.timeout(120_000);
    const { cluster } = inCluster();
    const namespace = ns.empty;
    await cluster.createNamespace(namespace);
    // Davy's TraefikService at 25%, over the Services Davy would make: the copy's selects no pod.
    const canary = {
      apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace },
      spec: {
        provider: 'traefik', service: { port: PORT },
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      },
    } as unknown as Canary;
    const built = traefikShape.build(canary, { primary: 75, canary: 25, mirror: false });
    if (!built.ok) throw new Error(built.error.message);
    const service = (name: string, app: string): KubeObject => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
      spec: { selector: { app }, ports: [{ name: 'http', port: PORT, targetPort: 9898 }] },
    });
    const services = [service('podinfo-primary', 'podinfo'), service('podinfo-canary', 'none')];
    await apply(cluster, [podinfoDeployment(namespace, 1), ...services]);
    await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/podinfo', '--timeout=120s']);
    await apply(cluster, [built.value, ingressRoute(namespace)]);
    // Once Traefik serves the new route at all (until then, 404s); a dropped TraefikService never is.
    await eventually('Traefik to serve the IngressRoute', async () =>
      ((await versionsServed(gateway, { host: host(namespace) }, 4)).get(OLD_VERSION) ? true : undefined), 30_000, 1_000);
    const served = await versionsServed(gateway, { host: host(namespace) }, 40);
    // Without nativeLB Traefik drops the whole TraefikService: every request a 404.
    expect(served.get('HTTP 404'), JSON.stringify([...served])).to.equal(undefined);
    expect(served.get(OLD_VERSION) ?? 0, JSON.stringify([...served])).to.be.at.least(20);
    const failed = [...served].filter(([who]) => who !== OLD_VERSION);
    expect(failed.length, 'the canary\'s share was tried').to.be.above(0);
    for (const [who] of failed) expect(who, JSON.stringify([...served])).to.match(/^HTTP 5\d\d$/);
  });

  it('when both rollouts end, then Traefik logged no read error and built every TraefikService', async function () {
    this.timeout(60_000);
    await Promise.allSettled(rollouts.values());
    expect(await traefikReadErrors()).to.deep.equal([]);
  });
});
