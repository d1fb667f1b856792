// The ingress and mesh routers end to end (issue 13): Flagger's nginx, skipper, contour, traefik,
// gloo, kuma, apisix, App Mesh, Istio A/B and Linkerd tutorials, each in a namespace of its own,
// stepped at once with deploy/'s identity (one stepper per --mesh-provider the tutorials assume),
// against the vendors' real CRDs (test/fixtures/crds) and the built-in Ingress. The routing objects are read straight from the API server, not through Davy's
// routers. Shortened to 10s intervals and two weight steps: the file takes 3-4 minutes.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { e2e } from './hooks.js';
import { Scenario, example, recordChanges, type CanaryObject } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject, ObjectRef } from '../../src/kube/client.js';

const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/routers');

type Router = 'nginx' | 'skipper' | 'contour' | 'traefik' | 'gloo' | 'kuma' | 'apisix' | 'appmesh' | 'istio-ab' | 'linkerd';

const CRDS = path.resolve(import.meta.dirname, '../fixtures/crds/gateway-api');
type Annotated = KubeObject & { spec?: Record<string, unknown> };

interface Tutorial {
  /** The tutorial's Canary and supporting manifests, in test/fixtures/routers. */
  files: string[];
  /** The routing objects Davy writes, by kind and name. */
  objects: [apiVersion: string, kind: string, name: string][];
  /** The canary weight as the routing object holds it (A/B: 100 while matched requests go to the copy). */
  weight(ns: string): Promise<number | undefined>;
  /** The stepper's --mesh-provider, as Flagger's chart is set for this tutorial (default contour). */
  meshProvider?: string;
  /** Objects Davy leaves on deletion (released, not deleted), by kind and name. */
  kept?: string[];
}

const get = (ref: ObjectRef) => e2e().cluster.kube.get<Annotated>(ref);
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), value);
const numberOr = (value: unknown, fallback?: number): number | undefined => (typeof value === 'number' ? value : fallback);

const TUTORIALS: Record<Router, Tutorial> = {
  nginx: {
    files: ['podinfo-ingress-nginx.yaml', 'podinfo-canary-nginx.yaml'],
    objects: [['networking.k8s.io/v1', 'Ingress', 'podinfo-canary']],
    async weight(namespace) {
      const a = (await get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: 'podinfo-canary' }))?.metadata.annotations;
      if (!a) return undefined;
      return a['nginx.ingress.kubernetes.io/canary-by-header'] ? 100 : Number(a['nginx.ingress.kubernetes.io/canary-weight']);
    },
  },
  skipper: {
    files: ['podinfo-ingress-skipper.yaml', 'podinfo-canary-skipper.yaml'],
    objects: [['networking.k8s.io/v1', 'Ingress', 'podinfo-canary']],
    async weight(namespace) {
      const a = (await get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: 'podinfo-canary' }))?.metadata.annotations;
      const weights = a?.['zalando.org/backend-weights'];
      return weights ? numberOr((JSON.parse(weights) as Record<string, unknown>)['podinfo-canary']) : undefined;
    },
  },
  contour: {
    files: ['podinfo-canary-contour.yaml'],
    objects: [['projectcontour.io/v1', 'HTTPProxy', 'podinfo']],
    async weight(namespace) {
      const proxy = await get({ apiVersion: 'projectcontour.io/v1', kind: 'HTTPProxy', namespace, name: 'podinfo' });
      return numberOr(at(proxy, 'spec', 'routes', 0, 'services', 1, 'weight'));
    },
  },
  traefik: {
    files: ['podinfo-canary-traefik.yaml'],
    objects: [['traefik.io/v1alpha1', 'TraefikService', 'podinfo']],
    async weight(namespace) {
      const service = await get({ apiVersion: 'traefik.io/v1alpha1', kind: 'TraefikService', namespace, name: 'podinfo' });
      if (!service) return undefined;
      const entries = (at(service, 'spec', 'weighted', 'services') ?? []) as { name: string; weight?: number }[];
      return entries.find((s) => s.name === 'podinfo-canary')?.weight ?? 0;
    },
  },
  gloo: {
    files: ['podinfo-canary-gloo.yaml'],
    objects: [
      ['gateway.solo.io/v1', 'RouteTable', 'podinfo'],
      ['gloo.solo.io/v1', 'Upstream', 'NS-podinfo-primaryupstream-9898'],
      ['gloo.solo.io/v1', 'Upstream', 'NS-podinfo-canaryupstream-9898'],
    ],
    async weight(namespace) {
      const table = await get({ apiVersion: 'gateway.solo.io/v1', kind: 'RouteTable', namespace, name: 'podinfo' });
      return numberOr(at(table, 'spec', 'routes', 0, 'routeAction', 'multi', 'destinations', 1, 'weight'));
    },
  },
  kuma: {
    files: ['podinfo-canary-kuma.yaml'],
    // Cluster-scoped: the only kuma canary of the run, so the name podinfo is its own.
    objects: [['kuma.io/v1alpha1', 'TrafficRoute', 'podinfo']],
    async weight() {
      const route = await get({ apiVersion: 'kuma.io/v1alpha1', kind: 'TrafficRoute', name: 'podinfo' });
      return numberOr(at(route, 'spec', 'conf', 'split', 1, 'weight'));
    },
  },
  apisix: {
    files: ['podinfo-apisixroute.yaml', 'podinfo-canary-apisix.yaml'],
    objects: [['apisix.apache.org/v2', 'ApisixRoute', 'podinfo-podinfo-canary']],
    async weight(namespace) {
      const route = await get({ apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', namespace, name: 'podinfo-podinfo-canary' });
      return numberOr(at(route, 'spec', 'http', 0, 'backends', 1, 'weight'));
    },
  },
  appmesh: {
    files: ['podinfo-canary-appmesh.yaml'],
    objects: [
      ['appmesh.k8s.aws/v1beta2', 'VirtualNode', 'podinfo-primary'], ['appmesh.k8s.aws/v1beta2', 'VirtualNode', 'podinfo-canary'],
      ['appmesh.k8s.aws/v1beta2', 'VirtualRouter', 'podinfo'], ['appmesh.k8s.aws/v1beta2', 'VirtualRouter', 'podinfo-canary'],
      ['appmesh.k8s.aws/v1beta2', 'VirtualService', 'podinfo'], ['appmesh.k8s.aws/v1beta2', 'VirtualService', 'podinfo-canary'],
    ],
    async weight(namespace) {
      const router = await get({ apiVersion: 'appmesh.k8s.aws/v1beta2', kind: 'VirtualRouter', namespace, name: 'podinfo' });
      return numberOr(at(router, 'spec', 'routes', 0, 'httpRoute', 'action', 'weightedTargets', 1, 'weight'));
    },
  },
  'istio-ab': {
    files: ['podinfo-canary-istio-ab.yaml'],
    objects: [
      ['networking.istio.io/v1beta1', 'VirtualService', 'podinfo'],
      ['networking.istio.io/v1beta1', 'DestinationRule', 'podinfo-primary'], ['networking.istio.io/v1beta1', 'DestinationRule', 'podinfo-canary'],
    ],
    meshProvider: 'istio',
    // Bound to the tutorial's gateway, the VirtualService is released routing all to podinfo (src/routers/istio.ts).
    kept: ['VirtualService/podinfo'],
    async weight(namespace) {
      // The A/B rule (the first) sends the Firefox and insider requests; the others stay on primary.
      const vs = await get({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', namespace, name: 'podinfo' });
      const route = (at(vs, 'spec', 'http', 0, 'route') ?? []) as { destination?: { host?: string }; weight?: number }[];
      return vs ? (route.find((r) => r.destination?.host === 'podinfo-canary')?.weight ?? 0) : undefined;
    },
  },
  linkerd: {
    files: ['podinfo-canary-linkerd.yaml'],
    objects: [['gateway.networking.k8s.io/v1beta1', 'HTTPRoute', 'podinfo']],
    meshProvider: 'gatewayapi:v1beta1',
    // Davy releases the HTTPRoute it generated instead of deleting it (docs/routers/gatewayapi.md).
    kept: ['HTTPRoute/podinfo'],
    async weight(namespace) {
      const route = await get({ apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'HTTPRoute', namespace, name: 'podinfo' });
      const refs = (at(route, 'spec', 'rules', 0, 'backendRefs') ?? []) as { name: string; weight?: number }[];
      return route ? numberOr(refs.find((r) => r.name === 'podinfo-canary')?.weight) : undefined;
    },
  },
};

/** A fixture's documents in `namespace`; the Canary shortened to two steps of 10% every 10s. */
function manifests(scenario: Scenario, file: string, edit: (c: CanaryObject) => void): KubeObject[] {
  const docs = parseAllDocuments(fs.readFileSync(path.join(FIXTURES, file), 'utf8')).map((d) => d.toJS() as KubeObject);
  return docs.map((doc) => {
    const object = { ...doc, metadata: { ...doc.metadata, namespace: scenario.namespace } };
    if (object.kind !== 'Canary') return object;
    const canary = scenario.shorten(object);
    canary.spec.progressDeadlineSeconds = 120;
    delete canary.spec.analysis.metrics;
    // The Linkerd tutorial attaches its HTTPRoute to the podinfo Service of namespace test.
    const refs = (canary.spec.service as { gatewayRefs?: { namespace?: string }[] } | undefined)?.gatewayRefs ?? [];
    for (const ref of refs) ref.namespace = scenario.namespace;
    edit(canary);
    return canary;
  });
}

const refsOf = (router: Router, namespace: string): ObjectRef[] =>
  TUTORIALS[router].objects.map(([apiVersion, kind, name]) => ({ apiVersion, kind, name: name.replace('NS', namespace), ...(kind === 'TrafficRoute' ? {} : { namespace }) }));

/** Each router's tutorial in namespace `routers-<router>-<tag>`, podinfo running and the Canary Initialized. */
async function start(routers: Router[], tag: string, edit: (router: Router, c: CanaryObject) => void): Promise<Map<Router, Scenario>> {
  const scenarios = new Map(routers.map((r) => [r, new Scenario(`routers-${r}-${tag}`, 'podinfo')] as const));
  await Promise.all([...scenarios].map(async ([router, scenario]) => {
    await scenario.setup();
    const deployment = example('podinfo-deployment.yaml').map((o) => ({ ...o, metadata: { ...o.metadata, namespace: scenario.namespace } }));
    await scenario.apply(deployment);
    await scenario.apply(TUTORIALS[router].files.flatMap((f) => manifests(scenario, f, (c) => edit(router, c))));
  }));
  // One stepper per mesh provider: the contour, Istio A/B and Linkerd tutorials name no provider, and
  // Flagger runs them with meshProvider contour, istio and gatewayapi:v1beta1.
  const byMesh = new Map<string, Scenario[]>();
  for (const [router, scenario] of scenarios) {
    const mesh = TUTORIALS[router].meshProvider ?? 'contour';
    byMesh.set(mesh, [...(byMesh.get(mesh) ?? []), scenario]);
  }
  for (const [mesh, [first, ...others]] of byMesh) {
    first!.startStepper(['--mesh-provider', mesh, ...others.flatMap((s) => ['--namespace', s.namespace])]);
  }
  await Promise.all([...scenarios.values()].map((s) => s.waitPhase('Initialized', 120_000)));
  return scenarios;
}

async function teardown(scenarios: Map<Router, Scenario> | undefined): Promise<void> {
  await Promise.all([...(scenarios?.values() ?? [])].map((s) => s.teardown()));
}

const release = (scenario: Scenario) =>
  e2e().cluster.kubectlOk(['-n', scenario.namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);

describe('routers: the ingress and mesh tutorials against the vendors\' CRDs', function () {
  this.timeout(420_000);
  let scenarios: Map<Router, Scenario> | undefined;
  before(async () => {
    await e2e().cluster.kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRDS]);
    await e2e().cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', 'httproutes.gateway.networking.k8s.io']);
  });
  afterEach(async () => teardown(scenarios));

  it('when each canary is released, then its routing object goes 0, 10, 20 and back to 0 at promotion, and deleting the Canary leaves only the user\'s objects', async () => {
    const routers: Router[] = ['nginx', 'skipper', 'contour', 'traefik', 'gloo', 'kuma', 'apisix', 'appmesh', 'istio-ab', 'linkerd'];
    // Weighted tutorials step 10% twice; the Istio A/B one iterates twice with matched requests on the copy.
    scenarios = await start(routers, 'canary', (_, c) => Object.assign(c.spec.analysis, c.spec.analysis.iterations ? { iterations: 2 } : { stepWeight: 10, maxWeight: 20 }));
    for (const router of routers) expect(await TUTORIALS[router].weight(scenarios.get(router)!.namespace), router).to.equal(0);
    const watches = new Map(routers.map((r) => [r, recordChanges(() => TUTORIALS[r].weight(scenarios!.get(r)!.namespace))] as const));
    await Promise.all([...scenarios.values()].map(release));
    await Promise.all([...scenarios.values()].map((s) => s.waitPhase('Succeeded', 240_000)));
    for (const watch of watches.values()) watch.stop();
    for (const router of routers) expect(watches.get(router)!.values, router).to.deep.equal(router === 'istio-ab' ? [0, 100, 0] : [0, 10, 20, 0]);

    await Promise.all(routers.map(async (router) => {
      const { namespace } = scenarios!.get(router)!;
      await e2e().cluster.kubectlOk(['-n', namespace, 'delete', 'canary', 'podinfo', '--wait=false']);
      await eventually(`${router}: the Canary to be finalized`, async () => ((await get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace, name: 'podinfo' })) ? undefined : true), 60_000);
      for (const ref of refsOf(router, namespace)) {
        const kept = TUTORIALS[router].kept?.includes(`${ref.kind}/${ref.name}`) ?? false;
        expect(await get(ref) !== undefined, `${router} ${ref.kind}/${ref.name} kept`).to.equal(kept);
      }
      const services = await e2e().cluster.kube.list('v1', 'Service', namespace);
      expect(services.items.map((s) => s.metadata.name), router).to.deep.equal(['podinfo']);
      if (router === 'nginx' || router === 'skipper') {
        const user = await get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name: 'podinfo' });
        expect(at(user, 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service', 'name'), router).to.equal('podinfo');
      }
      if (router === 'apisix') {
        const user = await get({ apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute', namespace, name: 'podinfo' });
        expect(at(user, 'spec', 'http', 0, 'backends'), router).to.deep.equal([{ serviceName: 'podinfo', servicePort: 80 }]);
      }
    }));
  });

  it('when an A/B canary routes its matched requests and then fails its hook, then it rolls back and the routing object is at 0 again', async () => {
    const routers: Router[] = ['nginx', 'contour', 'gloo', 'appmesh'];
    scenarios = await start(routers, 'ab', (router, c) => {
      delete c.spec.analysis.stepWeight;
      delete c.spec.analysis.maxWeight;
      Object.assign(c.spec.analysis, { iterations: 10, threshold: 2, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
      if (router === 'nginx') c.spec.analysis.match = [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }];
    });
    await Promise.all([...scenarios.values()].map(release));
    await Promise.all(routers.map(async (router) => {
      const scenario = scenarios!.get(router)!;
      await eventually(`${router}: matched requests routed to the copy`, async () => ((await TUTORIALS[router].weight(scenario.namespace)) === 100 ? true : undefined), 120_000);
      scenario.receiver.answer('/load-test', 500);
      await scenario.waitPhase('Failed', 120_000);
      // The state (and so the phase) is written before the routes it asks for.
      await eventually(`${router}: routes back on the stable pods`, async () => ((await TUTORIALS[router].weight(scenario.namespace)) === 0 ? true : undefined), 30_000);
    }));
    const ingress = await get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: scenarios.get('nginx')!.namespace, name: 'podinfo-canary' });
    expect(Object.keys(ingress?.metadata.annotations ?? {}).filter((k) => k.includes('canary-by'))).to.deep.equal([]);
  });
});
