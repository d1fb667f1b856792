import { expect } from 'chai';
import { crashAfterWrites } from '../../../src/kube/crash-after-writes.js';
import { MemoryKube } from '../../support/memory-kube.js';

describe('crashAfterWrites', () => {
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });

  it('when the N-th write is answered, then it kills, and reads never count', async () => {
    const inner = new MemoryKube();
    let killed = 0;
    const kube = crashAfterWrites(inner, 2, () => (killed += 1));
    await kube.create(cm('a'));
    await kube.list('v1', 'ConfigMap', 'ns');
    await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' });
    expect(killed).to.equal(0);
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' }, { type: 'merge', body: { data: { x: '1' } } });
    expect(killed).to.equal(1);
    expect(inner.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' })).to.have.nested.property('data.x', '1');
  });

  it('when a write fails, then it does not count', async () => {
    let killed = 0;
    const kube = crashAfterWrites(new MemoryKube(), 1, () => (killed += 1));
    await kube.replace(cm('missing')).catch(() => undefined);
    expect(killed).to.equal(0);
  });
});
