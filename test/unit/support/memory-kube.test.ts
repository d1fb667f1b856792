import { expect } from 'chai';
import { ApiError, ConflictError, NotFoundError, type KubeObject } from '../../../src/kube/client.js';
import { MemoryKube, matchesLabels, mergePatch } from '../../support/memory-kube.js';

const cm = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'test', labels: { app: name } }, data: { a: '1' }, ...extra,
});
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'test' });
const deployment = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'test' }, spec: { replicas: 1 }, ...extra,
});

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('MemoryKube', () => {
  describe('create, get and replace', () => {
    it('when an object is created, then get returns it with uid, resourceVersion and generation 1', async () => {
      const kube = new MemoryKube();
      await kube.create(cm('a'));
      const got = await kube.get(ref('a'));
      expect(got?.metadata.uid).to.be.a('string');
      expect(got?.metadata.resourceVersion).to.match(/^\d+$/);
      expect(got?.metadata.generation).to.equal(1);
      expect(got?.['data']).to.deep.equal({ a: '1' });
    });

    it('when the name already exists, then create fails with a ConflictError (AlreadyExists)', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      const error = await rejected(kube.create(cm('a')));
      expect(error).to.be.instanceOf(ConflictError);
      expect((error as ConflictError).reason).to.equal('AlreadyExists');
    });

    it('when a create carries a resourceVersion, then it is refused as the API server does', async () => {
      const kube = new MemoryKube();
      const error = await rejected(kube.create({ ...cm('a'), metadata: { name: 'a', namespace: 'test', resourceVersion: '7' } }));
      expect((error as ApiError).status).to.equal(400);
    });

    it('when an object is missing, then get resolves undefined and replace and patch fail with NotFoundError', async () => {
      const kube = new MemoryKube();
      expect(await kube.get(ref('nope'))).to.equal(undefined);
      expect(await rejected(kube.replace(cm('nope')))).to.be.instanceOf(NotFoundError);
      expect(await rejected(kube.patch(ref('nope'), { type: 'merge', body: { data: {} } }))).to.be.instanceOf(NotFoundError);
      expect(await kube.delete(ref('nope'))).to.equal(false);
    });

    it('when a replace carries a stale resourceVersion, then it fails with a ConflictError and nothing changes', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      const first = (await kube.get(ref('a')))!;
      await kube.replace({ ...first, data: { a: '2' } });
      const error = await rejected(kube.replace({ ...first, data: { a: '3' } }));
      expect(error).to.be.instanceOf(ConflictError);
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ a: '2' });
    });

    it('when a write changes nothing, then the resourceVersion stays (as on a real API server)', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      const before = (await kube.get(ref('a')))!;
      const after = await kube.replace(before);
      await kube.patch(ref('a'), { type: 'merge', body: { data: { a: '1' } } });
      expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
      expect(kube.peek(ref('a'))?.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
    });

    it('when the spec changes, then generation is bumped; when only metadata changes, then it is not', async () => {
      const kube = new MemoryKube().seed(deployment('d'));
      const d = (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'test' }))!;
      const labelled = await kube.replace({ ...d, metadata: { ...d.metadata, labels: { x: 'y' } } });
      expect(labelled.metadata.generation).to.equal(1);
      const scaled = await kube.replace({ ...labelled, spec: { replicas: 3 } });
      expect(scaled.metadata.generation).to.equal(2);
    });

    it('when a caller mutates a returned object, then the stored object is unaffected', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      const got = (await kube.get(ref('a')))!;
      (got['data'] as Record<string, string>)['a'] = 'mutated';
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ a: '1' });
    });

    it('when another version of the same group and kind is read, then it is the same object', async () => {
      const kube = new MemoryKube().seed({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 't', namespace: 'test' } });
      const got = await kube.get({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', name: 't', namespace: 'test' });
      expect(got?.apiVersion).to.equal('split.smi-spec.io/v1alpha1');
    });

    it('when dryRun is set, then the result is returned and nothing is stored', async () => {
      const kube = new MemoryKube();
      const created = await kube.create(cm('a'), { dryRun: true });
      expect(created.metadata.name).to.equal('a');
      expect(kube.peek(ref('a'))).to.equal(undefined);
    });
  });

  describe('status', () => {
    it('when replace carries a status, then the stored status is kept; when replaceStatus does, then only status changes', async () => {
      const kube = new MemoryKube().seed(deployment('d', { status: { readyReplicas: 1 } }));
      const dref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'test' };
      const d = (await kube.get(dref))!;
      const replaced = await kube.replace({ ...d, status: { readyReplicas: 9 } });
      expect(replaced['status']).to.deep.equal({ readyReplicas: 1 });
      await kube.replaceStatus({ ...replaced, spec: { replicas: 5 }, status: { readyReplicas: 2 } });
      const stored = kube.peek(dref)!;
      expect(stored['status']).to.deep.equal({ readyReplicas: 2 });
      expect(stored['spec']).to.deep.equal({ replicas: 1 });
    });
  });

  describe('patch', () => {
    it('when a JSON patch is sent, then it is applied; when its test op fails, then the request is Invalid (422)', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      await kube.patch(ref('a'), { type: 'json', ops: [{ op: 'add', path: '/data/b', value: '2' }] });
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ a: '1', b: '2' });
      const error = await rejected(kube.patch(ref('a'), { type: 'json', ops: [{ op: 'test', path: '/data/a', value: 'x' }] }));
      expect((error as ApiError).status).to.equal(422);
    });

    it('when a patch names an old resourceVersion, then it fails with a ConflictError', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      const old = kube.peek(ref('a'))!.metadata.resourceVersion;
      await kube.patch(ref('a'), { type: 'merge', body: { data: { a: '2' } } });
      const error = await rejected(kube.patch(ref('a'), { type: 'merge', body: { metadata: { resourceVersion: old }, data: { a: '3' } } }));
      expect(error).to.be.instanceOf(ConflictError);
    });

    it('when a merge patch has nulls, then those keys are removed and the rest merged', async () => {
      const kube = new MemoryKube().seed(cm('a', { data: { a: '1', b: '2' } }));
      await kube.patch(ref('a'), { type: 'merge', body: { data: { a: null, c: '3' } } });
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ b: '2', c: '3' });
    });

    it('when an apply patch names a missing object, then it is created; when it exists, then it is merged', async () => {
      const kube = new MemoryKube();
      await kube.patch(ref('a'), { type: 'apply', body: cm('a') });
      await kube.patch(ref('a'), { type: 'apply', body: { ...cm('a'), data: { b: '2' } } });
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ a: '1', b: '2' });
    });

    it('when a patch tries to change the status of the main resource, then the status is kept', async () => {
      const kube = new MemoryKube().seed(deployment('d', { status: { readyReplicas: 1 } }));
      const dref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'test' };
      await kube.patch(dref, { type: 'merge', body: { status: { readyReplicas: 5 } } });
      expect(kube.peek(dref)?.['status']).to.deep.equal({ readyReplicas: 1 });
    });
  });

  describe('list', () => {
    const kube = new MemoryKube().seed(
      cm('a'), cm('b'),
      { ...cm('c'), metadata: { name: 'c', namespace: 'test', labels: { app: 'c', tier: 'web' } } },
      { ...cm('a'), metadata: { name: 'a', namespace: 'other', labels: { app: 'a' } } },
    );
    const names = async (labelSelector?: string, fieldSelector?: string, namespace: string | null = 'test') =>
      (await kube.list('v1', 'ConfigMap', namespace ?? undefined, { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) }))
        .items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

    it('when a namespace is given, then only its objects are listed; when none is, then all namespaces are', async () => {
      expect(await names()).to.deep.equal(['test/a', 'test/b', 'test/c']);
      expect(await names(undefined, undefined, null)).to.have.length(4);
    });

    it('when a label selector is given, then equality, inequality, set and existence requirements all apply', async () => {
      expect(await names('app=a')).to.deep.equal(['test/a']);
      expect(await names('app==a')).to.deep.equal(['test/a']);
      expect(await names('app!=a')).to.deep.equal(['test/b', 'test/c']);
      expect(await names('app in (a, c)')).to.deep.equal(['test/a', 'test/c']);
      expect(await names('app notin (a,c)')).to.deep.equal(['test/b']);
      expect(await names('tier')).to.deep.equal(['test/c']);
      expect(await names('!tier,app in (a,b)')).to.deep.equal(['test/a', 'test/b']);
    });

    it('when a field selector names metadata.name, then it filters', async () => {
      expect(await names(undefined, 'metadata.name=b')).to.deep.equal(['test/b']);
      expect(await names(undefined, 'metadata.name!=b')).to.deep.equal(['test/a', 'test/c']);
    });

    it('when a selector cannot be parsed, then the request is a BadRequest', async () => {
      expect(((await rejected(names('app=(')) as ApiError)).status).to.equal(400);
    });

    it('when list returns, then the items carry apiVersion and kind and the list a resourceVersion', async () => {
      const list = await kube.list('v1', 'ConfigMap', 'test');
      expect(list.items[0]).to.include({ apiVersion: 'v1', kind: 'ConfigMap' });
      expect(list.resourceVersion).to.match(/^\d+$/);
    });
  });

  describe('delete, finalizers and garbage collection', () => {
    it('when an object has finalizers, then delete marks it; when the last finalizer goes, then it is removed', async () => {
      const kube = new MemoryKube().seed({ ...cm('a'), metadata: { name: 'a', namespace: 'test', finalizers: ['x/y'] } });
      expect(await kube.delete(ref('a'))).to.equal(true);
      const marked = kube.peek(ref('a'))!;
      expect(marked.metadata.deletionTimestamp).to.be.a('string');
      await kube.replace({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
      expect(kube.peek(ref('a'))).to.equal(undefined);
    });

    it('when an owner is deleted, then its dependents are collected, unless the propagation is Orphan', async () => {
      const kube = new MemoryKube().seed(cm('owner'), cm('other-owner'));
      const owner = kube.peek(ref('owner'))!;
      const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, controller: true };
      kube.seed({ ...cm('child'), metadata: { name: 'child', namespace: 'test', ownerReferences: [ownerRef] } });
      await kube.delete(ref('owner'));
      expect(kube.peek(ref('child'))).to.equal(undefined);

      const other = kube.peek(ref('other-owner'))!;
      kube.seed({ ...cm('kept'), metadata: { name: 'kept', namespace: 'test', ownerReferences: [{ ...ownerRef, name: 'other-owner', uid: other.metadata.uid! }] } });
      await kube.delete(ref('other-owner'), { propagationPolicy: 'Orphan' });
      expect(kube.peek(ref('kept'))?.metadata.ownerReferences).to.deep.equal([]);
    });
  });

  describe('Services', () => {
    const sref = { apiVersion: 'v1', kind: 'Service', name: 's', namespace: 'test' };
    const service = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'test' }, spec });

    it('when a Service is created, then it gets a clusterIP, and an update without one keeps it', async () => {
      const kube = new MemoryKube();
      const created = await kube.create(service({ ports: [{ port: 80 }] }));
      const ip = (created['spec'] as { clusterIP: string }).clusterIP;
      expect(ip).to.match(/^10\.96\./);
      await kube.replace(service({ ports: [{ port: 81 }] }));
      expect((kube.peek(sref)?.['spec'] as { clusterIP: string }).clusterIP).to.equal(ip);
    });

    it('when an update changes the clusterIP, then it is Invalid', async () => {
      const kube = new MemoryKube().seed(service({ ports: [{ port: 80 }] }));
      const error = await rejected(kube.replace(service({ clusterIP: 'None', ports: [{ port: 80 }] })));
      expect((error as ApiError).status).to.equal(422);
    });

    it('when a NodePort Service is updated without nodePorts, then the allocated ones are kept', async () => {
      const kube = new MemoryKube().seed(service({ type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }));
      await kube.replace(service({ type: 'NodePort', ports: [{ port: 80, name: 'http' }] }));
      expect((kube.peek(sref)?.['spec'] as { ports: { nodePort: number }[] }).ports[0]?.nodePort).to.equal(31000);
    });
  });

  describe('interceptors', () => {
    it('when failNext is armed, then exactly the next matching request fails with the given error', async () => {
      const kube = new MemoryKube().seed(cm('a'));
      kube.failNext('replace', new ConflictError('boom', 409, 'Conflict'), 'ConfigMap');
      const current = kube.peek(ref('a'))!;
      expect(await rejected(kube.replace(current))).to.be.instanceOf(ConflictError);
      await kube.replace({ ...current, data: { a: '2' } });
      expect(kube.peek(ref('a'))?.['data']).to.deep.equal({ a: '2' });
      expect(kube.requests.replace).to.equal(2);
    });
  });

  describe('helpers', () => {
    it('when matchesLabels gets an empty selector, then everything matches', () => {
      expect(matchesLabels({}, '')).to.equal(true);
      expect(matchesLabels({ a: 'b' }, undefined)).to.equal(true);
    });

    it('when mergePatch meets arrays, then they are replaced whole', () => {
      expect(mergePatch({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } })).to.deep.equal({ a: [3], b: { c: 1, d: 2 } });
    });
  });
});
