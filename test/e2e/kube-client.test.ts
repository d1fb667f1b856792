// The KubeClient adapter against the real API server: the error mapping and verbs the stepper's
// crash and concurrency safety rely on (404 as undefined, 409 on a stale write, status, apply).
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { testNamespace } from '../harness/cluster.js';
import { ConflictError, type KubeObject } from '../../src/kube/client.js';
import { eventually } from '../harness/process.js';

describe('KubeClient adapter against the real API server', () => {
  const ns = testNamespace('kube');
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'cm' };

  before(async () => e2e().cluster.createNamespace(ns));
  after(async () => e2e().cluster.deleteNamespace(ns));

  it('when an object does not exist, then get resolves undefined and delete resolves false', async () => {
    const { kube } = e2e().cluster;
    expect(await kube.get(ref)).to.equal(undefined);
    expect(await kube.delete(ref)).to.equal(false);
  });

  it('when a replace carries a stale resourceVersion, then it fails with ConflictError and the object keeps the newer write', async () => {
    const { kube } = e2e().cluster;
    const created = await kube.create<KubeObject>({ ...ref, metadata: { name: 'cm', namespace: ns }, data: { a: '1' } });
    await kube.replace({ ...created, data: { a: '2' } });
    const stale = kube.replace({ ...created, data: { a: '3' } });
    await stale.then(() => expect.fail('a stale replace succeeded'), (error: unknown) => expect(error).to.be.instanceOf(ConflictError));
    expect((await kube.get<KubeObject>(ref))?.data).to.deep.equal({ a: '2' });
  });

  it('when a dry-run create is sent, then nothing is stored', async () => {
    const { kube } = e2e().cluster;
    const dry = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns }, data: { x: 'y' } };
    const answer = await kube.create(dry, { dryRun: true });
    expect(answer.metadata.name).to.equal('dry');
    expect(await kube.get({ ...ref, name: 'dry' })).to.equal(undefined);
  });

  it('when json, merge and server-side apply patches are sent, then each takes effect', async () => {
    const { kube } = e2e().cluster;
    await kube.patch(ref, { type: 'json', ops: [{ op: 'add', path: '/data/b', value: 'json' }] });
    await kube.patch(ref, { type: 'merge', body: { data: { c: 'merge' } } });
    await kube.patch(ref, { type: 'apply', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: ns }, data: { d: 'apply' } } }, { fieldManager: 'e2e' });
    expect((await kube.get<KubeObject>(ref))?.data).to.include({ a: '2', b: 'json', c: 'merge', d: 'apply' });
  });

  it('when a list is asked for by label, then only matching items come back, with apiVersion and kind set', async () => {
    const { kube } = e2e().cluster;
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'labelled', namespace: ns, labels: { pick: 'me' } } });
    const list = await kube.list('v1', 'ConfigMap', ns, { labelSelector: 'pick=me' });
    expect(list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name])).to.deep.equal([['v1', 'ConfigMap', 'labelled']]);
    expect(list.resourceVersion).to.match(/^\d+$/);
  });

  // A Canary, not a Deployment: no controller writes a Canary's status (no stepper runs in this
  // namespace), so the resourceVersion of the create is still current when the status is replaced.
  // A Deployment's status is the Deployment controller's, which raced this write into a 409.
  it('when the status subresource is replaced, then the status changes and the spec does not', async () => {
    const { kube } = e2e().cluster;
    await kube.create<KubeObject>({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'st', namespace: ns },
      spec: { replicas: 0, selector: { matchLabels: { app: 'st' } }, template: { metadata: { labels: { app: 'st' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const canary = await kube.create<KubeObject>({
      apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'st', namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'st' },
        service: { port: 80 },
        analysis: { interval: '1m', threshold: 5, iterations: 3 },
      },
    });
    const spec = canary.spec as { analysis: { iterations: number } };
    const updated = await kube.replaceStatus({
      ...canary,
      spec: { ...spec, analysis: { ...spec.analysis, iterations: 9 } },
      status: { phase: 'Initialized', failedChecks: 2 },
    });
    expect(updated.status).to.include({ phase: 'Initialized', failedChecks: 2 });
    expect(updated.spec.analysis.iterations).to.equal(3);
  });

  it('when a kind is watched from a LIST\'s version, then each later change to a matching object comes as one event, in order, and an abort ends the stream', async () => {
    const { kube } = e2e().cluster;
    const start = await kube.list('v1', 'ConfigMap', ns, { labelSelector: 'watched' });
    const events: string[] = [];
    const stop = new AbortController();
    const { ended } = await kube.watch('v1', 'ConfigMap', ns, { resourceVersion: start.resourceVersion, labelSelector: 'watched' }, (event) => {
      if (event.type !== 'BOOKMARK') events.push(`${event.type} ${event.object.metadata.name ?? ''}`);
    }, stop.signal);
    const cm = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels } });
    await kube.create(cm('seen', { watched: 'yes' }));
    await kube.create(cm('unseen', { other: 'yes' }));
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'seen' }, { type: 'merge', body: { data: { a: '1' } } });
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'seen' });
    await eventually('the three events', () => Promise.resolve(events.length >= 3 ? true : undefined), 10_000, 100);
    stop.abort();
    await ended;
    expect(events).to.deep.equal(['ADDED seen', 'MODIFIED seen', 'DELETED seen']);
  });
});
