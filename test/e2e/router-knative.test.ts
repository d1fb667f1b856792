// The knative router end to end (issue 13): Flagger's Knative tutorial against Knative Serving's
// real Service CRD (test/fixtures/crds/knative-service.yaml), stepped by a stepper with deploy/'s
// identity. No Knative controller runs: the test plays its part, stamping a revision name into
// status for each new template as Knative would (ready at once). Two Knative Services run side
// by side, one promoted and one rolled back (by its load test), then both Canaries are deleted:
// about a minute. The tutorial's builtin metrics are judged from the test exporter's Envoy series
// for each Service's latest revision.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { e2e } from './hooks.js';
import { Scenario, recordChanges, type CanaryObject } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject, ObjectRef } from '../../src/kube/client.js';
import type { KnativeService } from '../../src/routers/knative.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/routers');
const PIN = 'flagger.app/primary-revision';
const KSVC = { apiVersion: 'serving.knative.dev/v1', kind: 'Service' };

const load = (file: string): KubeObject[] =>
  parseAllDocuments(fs.readFileSync(path.join(FIXTURES, file), 'utf8')).map((d) => d.toJS() as KubeObject);
const kube = () => e2e().cluster.kube;
const refOf = (namespace: string, name: string): ObjectRef => ({ ...KSVC, namespace, name });

/**
 * Knative's controller, reduced to what Davy reads: a new revision `<name>-0000N` for each new
 * template, reported created and ready, and the generation observed.
 */
function fakeKnative(namespace: string, names: string[]): { stop: () => void } {
  const seen = new Map<string, { template: string; count: number }>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.all(names.map(async (name) => {
      const service = await kube().get<KnativeService>(refOf(namespace, name));
      if (!service) return;
      const template = JSON.stringify(service.spec?.template ?? {});
      const last = seen.get(name);
      const count = last?.template === template ? last.count : (last?.count ?? 0) + 1;
      seen.set(name, { template, count });
      const revision = `${name}-${String(count).padStart(5, '0')}`;
      const status = service.status ?? {};
      if (status.latestCreatedRevisionName === revision && status.observedGeneration === service.metadata.generation) return;
      await kube().replaceStatus({ ...service, status: { observedGeneration: service.metadata.generation, latestCreatedRevisionName: revision, latestReadyRevisionName: revision, conditions: [{ type: 'Ready', status: 'True' }] } });
    })).catch(() => undefined).finally(() => (busy = false));
  }, 200);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The canary percent (the latest revision's) of spec.traffic, when it has Davy's two entries. */
async function canaryPercent(namespace: string, name: string): Promise<number | undefined> {
  const traffic = (await kube().get<KnativeService>(refOf(namespace, name)))?.spec?.traffic;
  return traffic?.length === 2 ? traffic.find((t) => t.latestRevision === true)?.percent : undefined;
}

const pinOf = async (namespace: string, name: string) => (await kube().get<KnativeService>(refOf(namespace, name)))?.metadata.annotations?.[PIN];

const release = (namespace: string, name: string, image: string) =>
  e2e().cluster.kubectlOk(['-n', namespace, 'patch', 'services.serving.knative.dev', name, '--type=json', '-p',
    JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }])]);

describe('router: Knative (Flagger\'s Knative tutorial against Knative Serving\'s CRD)', function () {
  this.timeout(300_000);
  const scenario = new Scenario('router-knative', 'podinfo');
  const ns = scenario.namespace;
  let knative: { stop: () => void } | undefined;
  after(async () => {
    knative?.stop();
    await kube().delete({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name: 'faulty' }).catch(() => undefined);
    await e2e().cluster.kubectl(['-n', ns, 'patch', 'canary', 'faulty', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await scenario.teardown();
  });

  it('when one revision is promoted and another rolled back, then spec.traffic goes 0, 10, 20, 0 on the new pin, and the failed one back to 0; deleting the Canaries gives Knative its default traffic', async () => {
    await scenario.setup();
    const [service] = load('podinfo-knative-service.yaml');
    const [tutorial] = load('podinfo-canary-knative.yaml');
    const services = ['podinfo', 'faulty'].map((name) => ({ ...service!, metadata: { name, namespace: ns } }));
    await scenario.apply(services);
    knative = fakeKnative(ns, ['podinfo', 'faulty']);
    const canaries = ['podinfo', 'faulty'].map((name) => {
      const c = scenario.shorten({ ...tutorial!, metadata: { name, namespace: ns } });
      c.spec.targetRef = { ...KSVC, name };
      c.spec.progressDeadlineSeconds = 120;
      Object.assign(c.spec.analysis, { stepWeight: 10, maxWeight: 20, threshold: 1 });
      for (const w of c.spec.analysis.webhooks ?? []) w.url = `${String(w.url)}-${name}`;
      return c;
    });
    // The tutorial's builtin metrics stay: Knative's queries select the revision under analysis
    // (`{{ route }}`, the Service's latest created revision), whose Envoy cluster answers well.
    for (const name of ['podinfo', 'faulty']) e2e().exporter.shapeEnvoy(`${ns}/${name}-00002`, { requestsPerSecond: 20, successRate: 1, latencyMs: 40 });
    await scenario.apply(canaries);
    scenario.startStepper();
    await Promise.all(['podinfo', 'faulty'].map((name) => eventually(`${name} initialized`, async () => {
      const c = await kube().get<CanaryObject>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name });
      return c?.status?.phase === 'Initialized' ? true : undefined;
    }, 60_000)));
    for (const name of ['podinfo', 'faulty']) {
      expect(await pinOf(ns, name), name).to.equal(`${name}-00001`);
      expect(await canaryPercent(ns, name), name).to.equal(0);
    }

    const promoted = recordChanges(() => canaryPercent(ns, 'podinfo'));
    await release(ns, 'podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await release(ns, 'faulty', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    // The faulty revision gets 10% of the traffic, then its load test fails: threshold 1.
    await eventually('faulty at 10%', async () => ((await canaryPercent(ns, 'faulty')) === 10 ? true : undefined), 60_000);
    scenario.receiver.answer('/load-test-faulty', 500);
    await scenario.waitPhase('Succeeded', 120_000);
    promoted.stop();
    expect(promoted.values).to.deep.equal([0, 10, 20, 0]);
    expect(await pinOf(ns, 'podinfo')).to.equal('podinfo-00002');
    await eventually('faulty failed with its traffic back on the pin', async () => {
      const c = await kube().get<CanaryObject>({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name: 'faulty' });
      return c?.status?.phase === 'Failed' && (await canaryPercent(ns, 'faulty')) === 0 ? true : undefined;
    }, 60_000);
    expect(await pinOf(ns, 'faulty')).to.equal('faulty-00001');

    await Promise.all(['podinfo', 'faulty'].map(async (name) => {
      await e2e().cluster.kubectlOk(['-n', ns, 'delete', 'canary', name, '--wait=false']);
      await eventually(`${name}: the Canary to be finalized`, async () => ((await kube().get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name })) ? undefined : true), 60_000);
      const left = await kube().get<KnativeService>(refOf(ns, name));
      expect(left?.spec?.traffic, name).to.deep.equal([{ latestRevision: true, percent: 100 }]);
      expect(Object.keys({ ...left?.metadata.annotations, ...left?.metadata.labels }).filter((k) => k === PIN || k.startsWith('davy.dev/')), name).to.deep.equal([]);
    }));
    // Nothing else was written: no Kubernetes Services, no copies.
    expect((await kube().list('v1', 'Service', ns)).items.map((s) => s.metadata.name)).to.deep.equal([]);
    expect((await kube().list('apps/v1', 'Deployment', ns)).items).to.deep.equal([]);
  });
});
