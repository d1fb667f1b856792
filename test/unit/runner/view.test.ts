// The pass's view hands out copies of what it listed: a caller may change what it read without
// changing what the next reader sees, and a copy keeps every JSON value as it was.
import { expect } from 'chai';
import type { KubeObject } from '../../../src/kube/client.js';
import { ClusterView } from '../../../src/runner/index.js';
import { copyJson, withoutManagedFields } from '../../../src/runner/view.js';
import { MemoryKube } from '../../support/memory-kube.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'test' };

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'test', labels: { app: 'podinfo' }, annotations: { note: '' } },
    spec: {
      replicas: 2,
      paused: false,
      selector: { matchLabels: { app: 'podinfo' } },
      template: { spec: { containers: [{ name: 'app', image: 'podinfo:6.0.0', args: ['--port', '9898'], resources: null }] } },
    },
  };
}

describe('runner: the view of a pass', () => {
  it('when a caller changes an object it read, then later reads still see the listed object', async () => {
    const view = new ClusterView(new MemoryKube().seed(deployment()));
    const first = await view.get<KubeObject & { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }>(ref);
    first!.spec.replicas = 5;
    first!.spec.template.spec.containers[0]!.image = 'changed';
    first!.metadata.labels!.app = 'changed';
    const again = await view.get(ref);
    expect(again?.spec).to.deep.include({ replicas: 2 });
    expect(again?.metadata.labels).to.deep.equal({ app: 'podinfo' });
    expect((again?.spec as { template: unknown }).template).to.deep.equal((deployment().spec as { template: unknown }).template);
  });

  it('when a JSON value is copied, then the copy is equal and shares nothing with the original', () => {
    const original = { a: [1, 'two', null, true, { b: [[], {}] }], c: { d: 0, e: '', f: false, g: undefined }, h: -1.5 };
    const copy = copyJson(original);
    expect(copy).to.deep.equal(original);
    expect(Object.keys(copy.c)).to.deep.equal(['d', 'e', 'f', 'g']);
    expect(copy.a).to.not.equal(original.a);
    expect(copy.a[4]).to.not.equal(original.a[4]);
    expect(copy.c).to.not.equal(original.c);
    expect(copyJson(null)).to.equal(null);
    expect(copyJson('text')).to.equal('text');
  });

  it('when objects are listed, then the view keeps them without managedFields, and leaves the rest as listed', async () => {
    const listed = deployment();
    listed.metadata.managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
    const view = new ClusterView(new MemoryKube().seed(listed));
    const read = await view.get(ref);
    expect(read?.metadata).to.not.have.property('managedFields');
    const { managedFields: _dropped, ...rest } = listed.metadata;
    expect(read?.metadata).to.deep.include(rest);
    expect(read?.spec).to.deep.equal(listed.spec);
    expect(withoutManagedFields(deployment())).to.deep.equal(deployment());
  });
});
