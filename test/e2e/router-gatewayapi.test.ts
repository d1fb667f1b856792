// The Gateway API router at the CRD level (issue 12): the upstream HTTPRoute CRD (standard channel
// v1.6.3) on the local control plane, Flagger's Gateway API tutorial applied unchanged, and the
// HTTPRoute's weights at every step of a rollout, a rollback and an A/B run, then the user's own
// HTTPRoute (filters, a timeout, two rules) of which Davy changes only the weights and which it
// restores exactly when the Canary is deleted. No data plane here: the weights are what is checked.
// Analyses are shortened (10 s intervals, two steps) and the tutorial's Istio metric checks dropped;
// a rollback is caused by the load-test webhook failing.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { e2e } from './hooks.js';
import { Scenario, recordChanges, type CanaryObject } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CRDS = path.join(ROOT, 'test/fixtures/crds/gateway-api');
const TUTORIAL = path.join(ROOT, 'test/fixtures/tutorials/gatewayapi');
const V1 = 'gateway.networking.k8s.io/v1';
const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';

interface BackendRef { name: string; weight?: number; filters?: unknown[] }
interface HTTPRoute extends KubeObject {
  spec: { rules?: { matches?: unknown[]; backendRefs?: BackendRef[]; [key: string]: unknown }[]; [key: string]: unknown };
}

const tutorial = (file: string): KubeObject[] =>
  parseAllDocuments(fs.readFileSync(path.join(TUTORIAL, `${file}.yaml`), 'utf8')).map((d) => d.toJS() as KubeObject).filter(Boolean);

const getRoute = (namespace: string, name: string) => e2e().cluster.kube.get<HTTPRoute>({ apiVersion: V1, kind: 'HTTPRoute', namespace, name });

/** "primary/canary" of the first rule that sends to both sides, as the route has it now. */
async function routeWeights(namespace: string, name: string, service = 'podinfo'): Promise<string | undefined> {
  const both = (r: { backendRefs?: BackendRef[] }) => ['primary', 'canary'].every((side) => (r.backendRefs ?? []).some((b) => b.name === `${service}-${side}`));
  const rule = (await getRoute(namespace, name))?.spec.rules?.find(both);
  const weight = (side: string) => rule?.backendRefs?.find((b) => b.name === `${service}-${side}`)?.weight;
  const [primary, canary] = [weight('primary'), weight('canary')];
  return primary === undefined || canary === undefined ? undefined : `${primary}/${canary}`;
}

/** podinfo and its HPA (kustomize/podinfo, unchanged) in `namespace`, running. */
async function startPodinfo(scenario: Scenario): Promise<void> {
  await scenario.setup();
  const objects = [...tutorial('podinfo-deployment'), ...tutorial('podinfo-hpa')].map((o) => ({ ...o, metadata: { ...o.metadata, namespace: scenario.namespace } }));
  await scenario.apply(objects);
  await eventually('podinfo to run 2 replicas (HPA minimum)', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 90_000);
}

/** A tutorial Canary in `namespace`: 10 s steps, no Istio metric checks, at most `threshold` failures. */
function shortened(scenario: Scenario, file: string, edit: (c: CanaryObject) => void = () => undefined): CanaryObject {
  const canary = scenario.shorten(tutorial(file)[0]!);
  canary.metadata.namespace = scenario.namespace;
  canary.spec.analysis.metrics = [];
  canary.spec.analysis.threshold = 1;
  canary.spec.progressDeadlineSeconds = 120;
  edit(canary);
  return canary;
}

/** podinfo, then the Canary of `file` as `edit` leaves it, and a stepper, until the Canary is Initialized. */
async function startCanary(scenario: Scenario, file: string, edit: (c: CanaryObject) => void, stepperArgs = ['--mesh-provider', 'gatewayapi:v1']): Promise<void> {
  await startPodinfo(scenario);
  await scenario.apply([shortened(scenario, file, edit)]);
  scenario.startStepper(stepperArgs);
  await scenario.waitPhase('Initialized', 90_000);
}

async function release(scenario: Scenario): Promise<void> {
  await e2e().cluster.kubectlOk(['-n', scenario.namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);
}

describe('router: Gateway API (HTTPRoute CRD v1.6.3, Flagger\'s tutorial)', function () {
  this.timeout(600_000);
  let scenario: Scenario | undefined;

  before(async () => {
    // Server-side: the HTTPRoute CRD is too large for client-side apply's annotation. Idempotent, so
    // a parallel run applying it too is harmless.
    await e2e().cluster.kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRDS]);
    await e2e().cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/httproutes.gateway.networking.k8s.io', 'crd/gateways.gateway.networking.k8s.io']);
  });
  afterEach(async () => {
    await scenario?.teardown();
    scenario = undefined;
  });

  it('when Flagger\'s tutorial is applied unchanged, then the Gateway, MetricTemplates and both Canaries are stored as written', async () => {
    scenario = new Scenario('test', 'podinfo');
    await startPodinfo(scenario);
    for (const namespace of ['istio-ingress', 'flagger-system']) {
      if (!(await e2e().cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) await e2e().cluster.createNamespace(namespace);
    }
    for (const file of ['gateway', 'metric-templates', 'podinfo-canary', 'podinfo-ab-canary']) {
      await e2e().cluster.kubectlOk(['apply', '-f', path.join(TUTORIAL, `${file}.yaml`)]);
    }
    const gateway = await e2e().cluster.kube.get<KubeObject & { spec: unknown }>({ apiVersion: V1, kind: 'Gateway', namespace: 'istio-ingress', name: 'gateway' });
    expect(gateway?.spec).to.deep.include({ gatewayClassName: 'istio' });
    const stored = await scenario.canary();
    // The A/B manifest was applied last over the same name: its match is what the API server kept.
    expect(stored.spec.analysis['match']).to.deep.equal((tutorial('podinfo-ab-canary')[0] as CanaryObject).spec.analysis['match']);
    expect(stored.spec['service']).to.deep.equal((tutorial('podinfo-canary')[0] as CanaryObject).spec['service']);
    for (const namespace of ['istio-ingress', 'flagger-system']) await e2e().cluster.deleteNamespace(namespace);
  });

  it('when a new image is released, then the HTTPRoute goes 100/0, 75/25, 50/50 and back to 100/0 as the release is promoted', async () => {
    scenario = new Scenario('gw-rollout', 'podinfo');
    await startCanary(scenario, 'podinfo-canary', (c) => Object.assign(c.spec.analysis, { stepWeight: 25, maxWeight: 50 }));
    const route = await getRoute(scenario.namespace, 'podinfo');
    expect(route?.spec['parentRefs']).to.deep.equal([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gateway', namespace: 'istio-ingress' }]);
    expect(route?.spec['hostnames']).to.deep.equal(['www.example.com']);

    const watch = recordChanges(() => routeWeights(scenario!.namespace, 'podinfo'));
    await release(scenario);
    await scenario.waitPhase('Succeeded', 240_000).finally(watch.stop);
    expect(watch.values).to.deep.equal(['100/0', '75/25', '50/50', '100/0']);
    expect((await scenario.pods('app=podinfo')).every((p) => p.image === NEW_IMAGE)).to.equal(true);
  });

  it('when the load test fails during a rollout, then the canary is rolled back and the HTTPRoute sends everything to the stable pods again', async () => {
    scenario = new Scenario('gw-rollback', 'podinfo');
    await startCanary(scenario, 'podinfo-canary', (c) => Object.assign(c.spec.analysis, { stepWeight: 50, maxWeight: 50 }));
    const watch = recordChanges(() => routeWeights(scenario!.namespace, 'podinfo'));
    scenario.receiver.answer('/load-test', 500);
    await release(scenario);
    await scenario.waitPhase('Failed', 240_000);
    // The state (and so the phase) is written before the routes it asks for: the watch ends once
    // the rollback's routes are applied, or fails after 30 s.
    const settled = () => Promise.resolve(watch.values.at(-1) === '100/0' ? true : undefined);
    await eventually('the HTTPRoute to send everything to the stable pods', settled, 30_000, 200).finally(watch.stop);
    expect(watch.values[0]).to.equal('100/0');
    expect(watch.values).to.include('50/50');
    expect(await routeWeights(scenario.namespace, 'podinfo')).to.equal('100/0');
    expect((await scenario.pods('app=podinfo')).every((p) => p.image !== NEW_IMAGE)).to.equal(true);
  });

  it('when the tutorial\'s A/B canary iterates, then only the Firefox and insider-cookie rule goes to the canary, and promotion ends at 100/0', async () => {
    scenario = new Scenario('gw-ab', 'podinfo');
    await startCanary(scenario, 'podinfo-ab-canary', (c) => { c.spec.analysis['iterations'] = 2; });
    await release(scenario);
    const during = await eventually('the A/B rule to send to the canary', async () => {
      const route = await getRoute(scenario!.namespace, 'podinfo');
      return (await routeWeights(scenario!.namespace, 'podinfo')) === '0/100' ? route : undefined;
    }, 120_000, 300);
    const [matched, rest] = during.spec.rules ?? [];
    expect(matched?.matches).to.deep.equal([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'RegularExpression', name: 'user-agent', value: '.*Firefox.*' }] },
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'RegularExpression', name: 'cookie', value: '^(.*?;)?(type=insider)(;.*)?$' }] },
    ]);
    expect(rest?.backendRefs?.map((b) => [b.name, b.weight])).to.deep.equal([['podinfo-primary', 100]]);
    await scenario.waitPhase('Succeeded', 180_000);
    expect(await routeWeights(scenario.namespace, 'podinfo')).to.equal('100/0');
  });

  it('when the tutorial\'s session-affinity canary advances, then a cookie rule sends the run\'s cookie to the canary, and after promotion that cookie is expired', async () => {
    scenario = new Scenario('gw-affinity', 'podinfo');
    await startCanary(scenario, 'podinfo-canary-session-affinity', (c) => Object.assign(c.spec.analysis, { stepWeight: 25, maxWeight: 50 }));
    const ns = scenario.namespace;
    const routes: HTTPRoute[] = [];
    const watch = recordChanges(async () => {
      const route = await getRoute(ns, 'podinfo');
      if (route && JSON.stringify(routes.at(-1)?.spec) !== JSON.stringify(route.spec)) routes.push(route);
      return routeWeights(ns, 'podinfo');
    });
    await release(scenario);
    const during = await eventually('the canary to have traffic and its cookie', async () => {
      const canary = await scenario!.canary();
      return (canary.status?.canaryWeight ?? 0) > 0 && canary.status?.sessionAffinityCookie ? canary : undefined;
    }, 120_000, 300);
    const cookie = during.status?.sessionAffinityCookie ?? '';
    expect(cookie).to.match(/^flagger-cookie=[A-Za-z]{10}$/);
    await scenario.waitPhase('Succeeded', 240_000).finally(watch.stop);
    expect(watch.values).to.deep.equal(['100/0', '75/25', '50/50', '100/0']);

    // The API server took the rules as Davy wrote them (the CRD's validation included).
    const sticky = routes.find((r) => (r.spec.rules ?? []).length === 2 && r.spec.rules![0]!.backendRefs?.[0]?.name === 'podinfo-canary');
    expect(sticky?.spec.rules?.[0]?.matches?.[0]).to.deep.include({ headers: [{ type: 'RegularExpression', name: 'Cookie', value: `^(.*;\\s*)?${cookie}(\\s*;.*)?$` }] });
    const canaryRef = sticky?.spec.rules?.[1]?.backendRefs?.find((b) => b.name === 'podinfo-canary');
    expect(canaryRef?.filters).to.deep.equal([{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: `${cookie}; Max-Age=21600` }] } }]);
    const after = (await getRoute(ns, 'podinfo'))!;
    expect(after.spec.rules?.[0]?.['filters']).to.deep.equal([{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'Set-Cookie', value: `${cookie}; Max-Age=-1` }] } }]);
    expect(after.spec.rules?.[0]?.backendRefs?.map((b) => [b.name, b.weight])).to.deep.equal([['podinfo-primary', 100]]);
    const status = (await scenario.canary()).status;
    expect(status?.previousSessionAffinityCookie).to.equal(cookie);
    expect(status?.sessionAffinityCookie).to.equal(undefined);
  });

  it('when a Canary names the user\'s HTTPRoute, then only its weights change during the rollout, and deleting the Canary restores it exactly', async () => {
    scenario = new Scenario('gw-user-route', 'podinfo');
    await startPodinfo(scenario);
    const ns = scenario.namespace;
    const userRoute = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'test/fixtures/routers/gatewayapi-storefront-httproute.yaml'), 'utf8'))[0]!.toJS() as KubeObject;
    userRoute.metadata.namespace = ns;
    await scenario.apply([userRoute]);
    const found = (await getRoute(ns, 'storefront'))!;
    await scenario.apply([shortened(scenario, 'podinfo-canary', (c) => {
      c.spec.provider = 'gatewayapi:v1';
      const { gatewayRefs: _g, hosts: _h, ...service } = c.spec['service'] as Record<string, unknown>;
      c.spec['service'] = { ...service, routeRef: { name: 'storefront' } };
      Object.assign(c.spec.analysis, { stepWeight: 50, maxWeight: 50 });
    })]);
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);

    const everythingButWeights = (route: HTTPRoute | undefined) => {
      const spec = structuredClone(route?.spec ?? {});
      for (const rule of spec.rules ?? []) {
        rule.backendRefs = (rule.backendRefs ?? []).map(({ weight: _w, ...ref }) => ({ ...ref, name: ref.name.replace(/-(primary|canary)$/, '') }))
          .filter((ref, i, all) => all.findIndex((r) => r.name === ref.name) === i);
      }
      return spec;
    };
    const shapes: unknown[] = [];
    const watch = recordChanges(async () => {
      const route = await getRoute(ns, 'storefront');
      shapes.push(everythingButWeights(route));
      return routeWeights(ns, 'storefront');
    });
    await release(scenario);
    await scenario.waitPhase('Succeeded', 240_000).finally(watch.stop);
    expect(watch.values).to.deep.equal(['100/0', '50/50', '100/0']);
    for (const shape of shapes) expect(shape).to.deep.equal(everythingButWeights(found));
    const during = (await getRoute(ns, 'storefront'))!;
    expect(during.spec.rules?.[1]).to.deep.equal(found.spec.rules?.[1]);
    expect(during.metadata.ownerReferences ?? []).to.deep.equal([]);

    await e2e().cluster.kubectlOk(['-n', ns, 'delete', 'canary', 'podinfo', '--wait=false']);
    await eventually('the Canary to be gone', async () => ((await e2e().cluster.kube.get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name: 'podinfo' })) ? undefined : true), 60_000, 500);
    const restored = (await getRoute(ns, 'storefront'))!;
    expect(restored.spec).to.deep.equal(found.spec);
    expect(restored.metadata.labels).to.deep.equal(found.metadata.labels);
    expect(restored.metadata.annotations ?? {}).to.deep.equal(found.metadata.annotations ?? {});
  });
});
