import { expect } from 'chai';
import { LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { KubeObject } from '../../../src/kube/client.js';
import { kubernetesRouter } from '../../../src/routers/kubernetes.js';
import type { Service } from '../../../src/workloads/types.js';
import { example, names, problem, value, versions } from './cluster.js';

const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', name, namespace: 'test' });
const selectorOf = (object: KubeObject | undefined) => (object as Service | undefined)?.spec?.selector;

function keda() {
  const ex = example('podinfo-canary-keda-bluegreen', 'podinfo-deployment', 'podinfo-scaledobject');
  return { ...ex, router: kubernetesRouter({ kube: ex.kube }) };
}

describe('kubernetes router (KEDA blue/green, service podinfo-svc)', () => {
  it('when reconciled, then podinfo-svc and -primary select the stable pods and -canary the copy\'s', async () => {
    const { kube, canary, router } = keda();
    await value(router.reconcile(canary));
    expect(selectorOf(kube.peek(svc('podinfo-svc')))).to.deep.equal({ app: 'podinfo' });
    expect(selectorOf(kube.peek(svc('podinfo-svc-primary')))).to.deep.equal({ app: 'podinfo' });
    expect(selectorOf(kube.peek(svc('podinfo-svc-canary')))).to.deep.equal({ app: 'podinfo-canary' });
    expect(await value(router.getRoutes(canary))).to.deep.equal({ primary: 100, canary: 0, mirror: false });
  });

  it('when reconciled twice, then the second pass writes nothing', async () => {
    const { kube, canary, router } = keda();
    await value(router.reconcile(canary));
    const before = versions(kube);
    await value(router.reconcile(canary));
    expect(versions(kube)).to.deep.equal(before);
  });

  it('when routes are set to canary 100, then the apex alone switches to the copy\'s pods, and setting it again writes nothing', async () => {
    const { kube, canary, router } = keda();
    await value(router.reconcile(canary));
    const before = versions(kube);
    await value(router.setRoutes(canary, { primary: 0, canary: 100, mirror: false }));
    expect(selectorOf(kube.peek(svc('podinfo-svc')))).to.deep.equal({ app: 'podinfo-canary' });
    const after = versions(kube);
    expect(Object.keys(after).filter((k) => after[k] !== before[k])).to.deep.equal(['Service/podinfo-svc']);
    await value(router.setRoutes(canary, { primary: 0, canary: 100, mirror: false }));
    expect(versions(kube)).to.deep.equal(after);
    expect(await value(router.getRoutes(canary))).to.deep.equal({ primary: 0, canary: 100, mirror: false });
  });

  it('when reconciled after the switch, then the switch stays (reconcile leaves routes alone)', async () => {
    const { kube, canary, router } = keda();
    await value(router.setRoutes(canary, { primary: 0, canary: 100, mirror: false }));
    await value(router.reconcile(canary));
    expect(selectorOf(kube.peek(svc('podinfo-svc')))).to.deep.equal({ app: 'podinfo-canary' });
  });

  it('when routes other than 100/0 and 0/100 are asked for, or mirroring, then the result is InvalidRoutes and nothing moves', async () => {
    const { kube, canary, router } = keda();
    await value(router.reconcile(canary));
    const before = versions(kube);
    expect(await problem(router.setRoutes(canary, { primary: 50, canary: 50, mirror: false }))).to.equal('InvalidRoutes');
    expect(await problem(router.setRoutes(canary, { primary: 100, canary: 0, mirror: true }))).to.equal('InvalidRoutes');
    expect(await problem(router.setRoutes(canary, { primary: 90, canary: 20, mirror: false }))).to.equal('InvalidRoutes');
    expect(versions(kube)).to.deep.equal(before);
  });

  it('when finalized after the switch, then the apex selects the stable pods, is the user\'s now, and -primary/-canary are gone', async () => {
    const { kube, canary, router } = keda();
    await value(router.setRoutes(canary, { primary: 0, canary: 100, mirror: false }));
    await value(router.finalize(canary));
    const apex = kube.peek(svc('podinfo-svc'))!;
    expect(selectorOf(apex)).to.deep.equal({ app: 'podinfo' });
    expect(apex.metadata.ownerReferences).to.equal(undefined);
    expect(apex.metadata.labels).to.not.have.property(LABEL_MANAGED_BY_CANARY);
    expect(names(kube, 'Service')).to.deep.equal(['podinfo-svc']);
  });

  it('when the Canary is deleted after finalize, then the released apex survives garbage collection', async () => {
    const { kube, canary, router } = keda();
    await value(router.reconcile(canary));
    await value(router.finalize(canary));
    await kube.delete({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' });
    expect(names(kube, 'Service')).to.deep.equal(['podinfo-svc']);
  });

  describe('a user\'s apex Service (adopted)', () => {
    const userApex = (): KubeObject => ({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'podinfo-svc', namespace: 'test', labels: { team: 'a' }, annotations: { 'cloud.example/lb': 'internal' } },
      spec: { type: 'NodePort', selector: { app: 'podinfo' }, ports: [{ name: 'web', port: 8080, targetPort: 9898, protocol: 'TCP', nodePort: 30080 }] },
    });

    it('when adopted, switched and finalized, then it is exactly as the user left it', async () => {
      const { kube, canary, router } = keda();
      kube.seed(userApex());
      const original = kube.peek(svc('podinfo-svc'))!;
      await value(router.reconcile(canary));
      await value(router.setRoutes(canary, { primary: 0, canary: 100, mirror: false }));
      const switched = kube.peek<Service>(svc('podinfo-svc'))!;
      expect(switched.spec?.selector).to.deep.equal({ app: 'podinfo-canary' });
      expect(switched.spec?.type).to.equal('NodePort');
      expect(switched.spec?.ports?.find((p) => p.name === 'web')?.nodePort).to.equal(30080);
      await value(router.finalize(canary));
      const restored = kube.peek(svc('podinfo-svc'))!;
      expect({ ...restored, metadata: { ...restored.metadata, resourceVersion: '', generation: 0 } })
        .to.deep.equal({ ...original, metadata: { ...original.metadata, resourceVersion: '', generation: 0 } });
    });

    it('when the Canary is deleted without finalize, then garbage collection takes Davy\'s Services but not the adopted apex', async () => {
      const { kube, canary, router } = keda();
      kube.seed(userApex());
      await value(router.reconcile(canary));
      await kube.delete({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', namespace: 'test' });
      expect(names(kube, 'Service')).to.deep.equal(['podinfo-svc']);
    });
  });

  it('when the target does not exist, then reconcile reports TargetMissing and creates nothing', async () => {
    const { kube, canary, router } = keda();
    await kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'test' });
    expect(await problem(router.reconcile(canary))).to.equal('TargetMissing');
    expect(names(kube, 'Service')).to.deep.equal([]);
  });

  it('when the apex selects neither side, then getRoutes reports NotReconciled', async () => {
    const { canary, router } = keda();
    expect(await problem(router.getRoutes(canary))).to.equal('NotReconciled');
  });
});
