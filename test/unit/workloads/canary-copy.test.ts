import { expect } from 'chai';
import {
  ANNOTATION_CONFIG_CHECKSUM,
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_PENDING_REVISION,
  ANNOTATION_SAVED_UPDATE_STRATEGY,
  ANNOTATION_STABLE_REVISION,
  LABEL_CANARY,
  LABEL_MANAGED_BY_CANARY,
  LABEL_SCALE_TO_ZERO,
} from '../../../src/api/keys.js';
import { buildCanaryWorkload } from '../../../src/workloads/canary-copy.js';
import { converged } from '../../../src/workloads/meta.js';
import type { DaemonSet, Deployment, Workload } from '../../../src/workloads/types.js';
import { canary, fixture } from '../../fixtures/routers/index.js';

const podinfo = () => fixture<Deployment>('podinfo-deployment', 'Deployment');
const osm = () => canary('podinfo-canary-osm');

function copyOf(target: Workload, replicas = 0, configChecksum?: string): Workload {
  const result = buildCanaryWorkload(osm(), target, { replicas, ...(configChecksum ? { configChecksum } : {}) });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function asDaemonSet(deployment: Deployment): DaemonSet {
  const { replicas: _r, strategy: _s, progressDeadlineSeconds: _p, ...spec } = deployment.spec ?? {};
  return { ...deployment, kind: 'DaemonSet', spec: { ...spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } } };
}

describe('buildCanaryWorkload', () => {
  it('when the podinfo Deployment is copied, then the copy is podinfo-canary selecting app: podinfo-canary', () => {
    const copy = copyOf(podinfo(), 2) as Deployment;
    expect(copy.kind).to.equal('Deployment');
    expect(copy.metadata.name).to.equal('podinfo-canary');
    expect(copy.metadata.namespace).to.equal('test');
    expect(copy.spec?.selector).to.deep.equal({ matchLabels: { app: 'podinfo-canary' } });
    expect(copy.spec?.template?.metadata?.labels).to.deep.equal({ app: 'podinfo-canary' });
    expect(copy.metadata.labels?.['app']).to.equal('podinfo-canary');
    expect(copy.spec?.replicas).to.equal(2);
  });

  it('when the copy is built, then the template is the user\'s current one apart from the selector label', () => {
    const target = podinfo();
    const copy = copyOf(target) as Deployment;
    const { metadata: userMeta, ...userPod } = target.spec!.template!;
    const { metadata: copyMeta, ...copyPod } = copy.spec!.template!;
    expect(copyPod).to.deep.equal(userPod);
    expect(copyMeta?.annotations).to.deep.equal(userMeta?.annotations);
  });

  it('when the copy is built, then strategy, minReadySeconds, revisionHistoryLimit and progressDeadlineSeconds are kept', () => {
    const copy = copyOf(podinfo()) as Deployment;
    expect(copy.spec).to.include({ minReadySeconds: 3, revisionHistoryLimit: 5, progressDeadlineSeconds: 60 });
    expect(copy.spec?.['strategy']).to.deep.equal({ rollingUpdate: { maxUnavailable: 0 }, type: 'RollingUpdate' });
  });

  it('when idle, then the copy has 0 replicas; when the user\'s Deployment is held (paused), then the copy is not', () => {
    const target = podinfo();
    target.spec!.paused = true;
    const copy = copyOf(target, 0) as Deployment;
    expect(copy.spec?.replicas).to.equal(0);
    expect(copy.spec).to.not.have.property('paused');
  });

  it('when the copy is built, then the Canary is its controller and it carries Davy\'s label and Flux\'s opt-outs', () => {
    const copy = copyOf(podinfo());
    expect(copy.metadata.ownerReferences).to.deep.equal([
      { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'podinfo', uid: 'uid-test-podinfo', controller: true, blockOwnerDeletion: true },
    ]);
    expect(copy.metadata.labels?.[LABEL_MANAGED_BY_CANARY]).to.equal('podinfo');
    expect(copy.metadata.annotations).to.include({
      'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
      'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
    });
  });

  it('when the user\'s object carries davy.dev/*, kubectl and GitOps metadata, then the copy carries none of it', () => {
    const target = podinfo();
    target.metadata.labels = { ...target.metadata.labels, [LABEL_CANARY]: 'podinfo', 'kustomize.toolkit.fluxcd.io/name': 'apps', team: 'a' };
    target.metadata.annotations = {
      [ANNOTATION_STABLE_REVISION]: 'abc', [ANNOTATION_PENDING_REVISION]: 'def', [ANNOTATION_LAST_APPLIED]: '{}',
      'deployment.kubernetes.io/revision': '4', 'argocd.argoproj.io/tracking-id': 'x', owner: 'team-a',
    };
    target.spec!.template!.metadata!.annotations = { ...target.spec!.template!.metadata!.annotations, 'davy.dev/x': 'y' };
    const copy = copyOf(target);
    expect(copy.metadata.labels).to.deep.equal({ app: 'podinfo-canary', team: 'a', [LABEL_MANAGED_BY_CANARY]: 'podinfo' });
    expect(Object.keys(copy.metadata.annotations ?? {}).sort()).to.deep.equal([
      'helm.toolkit.fluxcd.io/driftDetection', 'kustomize.toolkit.fluxcd.io/reconcile', 'owner',
    ]);
    expect(copy.spec?.template?.metadata?.annotations).to.not.have.property('davy.dev/x');
  });

  it('when the template\'s only annotations are davy.dev/*, then the copy\'s template has no annotations', () => {
    const target = podinfo();
    target.spec!.template!.metadata!.annotations = { 'davy.dev/x': 'y' };
    expect(copyOf(target).spec?.template?.metadata).to.not.have.property('annotations');
  });

  it('when a config checksum is given, then it is a pod-template annotation (a config change rolls the copy)', () => {
    const copy = copyOf(podinfo(), 1, '0123456789abcdef');
    expect(copy.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_CHECKSUM]).to.equal('0123456789abcdef');
  });

  it('when the selector has other labels and expressions, then the other labels stay and expressions on the selector label go', () => {
    const target = podinfo();
    target.spec!.selector = {
      matchLabels: { app: 'podinfo', tier: 'web' },
      matchExpressions: [{ key: 'app', operator: 'In', values: ['podinfo'] }, { key: 'track', operator: 'NotIn', values: ['canary'] }],
    };
    target.spec!.template!.metadata!.labels = { app: 'podinfo', tier: 'web' };
    const copy = copyOf(target);
    expect(copy.spec?.selector).to.deep.equal({
      matchLabels: { app: 'podinfo-canary', tier: 'web' },
      matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }],
    });
    expect(copy.spec?.template?.metadata?.labels).to.deep.equal({ app: 'podinfo-canary', tier: 'web' });
  });

  const selectorCases: [Record<string, string>, string, string][] = [
    [{ app: 'a', name: 'b', 'app.kubernetes.io/name': 'c' }, 'app', 'a-canary'],
    [{ 'app.kubernetes.io/name': 'c', name: 'b' }, 'name', 'b-canary'],
    [{ 'app.kubernetes.io/name': 'c', tier: 'web' }, 'app.kubernetes.io/name', 'c-canary'],
  ];
  for (const [matchLabels, key, value] of selectorCases) {
    it(`when the selector is ${JSON.stringify(matchLabels)}, then ${key} is the selector label`, () => {
      const target = podinfo();
      target.spec!.selector = { matchLabels };
      target.spec!.template!.metadata!.labels = { ...matchLabels };
      expect((copyOf(target) as Deployment).spec?.selector?.matchLabels?.[key]).to.equal(value);
    });
  }

  it('when the selector has none of app, name, app.kubernetes.io/name, then the result is SelectorLabelMissing', () => {
    const target = podinfo();
    target.spec!.selector = { matchLabels: { component: 'podinfo' } };
    const result = buildCanaryWorkload(osm(), target, { replicas: 0 });
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.error.code).to.equal('SelectorLabelMissing');
  });

  it('when the rewritten label value would exceed 63 characters, then the result is NameTooLong', () => {
    const target = podinfo();
    target.spec!.selector = { matchLabels: { app: 'x'.repeat(60) } };
    const result = buildCanaryWorkload(osm(), target, { replicas: 0 });
    expect(!result.ok && result.error.code).to.equal('NameTooLong');
  });

  it('when the stored copy carries controller annotations and status, then converging the same copy onto it changes nothing', () => {
    const desired = copyOf(podinfo(), 1);
    const stored = {
      ...structuredClone(desired),
      metadata: { ...structuredClone(desired.metadata), uid: 'u', resourceVersion: '9', annotations: { ...desired.metadata.annotations, 'deployment.kubernetes.io/revision': '3' } },
      status: { readyReplicas: 1 },
    };
    expect(converged(stored, desired)).to.deep.equal(stored);
    const rescaled = converged(stored, copyOf(podinfo(), 0)) as Deployment;
    expect(rescaled.spec?.replicas).to.equal(0);
    expect(rescaled.metadata.annotations).to.include({ 'deployment.kubernetes.io/revision': '3' });
  });

  describe('DaemonSet', () => {
    it('when a DaemonSet is copied, then the copy is a DaemonSet with no replica count', () => {
      const copy = copyOf(asDaemonSet(podinfo()), 1) as DaemonSet;
      expect(copy.kind).to.equal('DaemonSet');
      expect(copy.spec).to.not.have.property('replicas');
      expect(copy.spec?.template?.spec?.nodeSelector).to.equal(undefined);
      expect(copy.spec?.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } });
    });

    it('when the DaemonSet copy is idle, then a node selector no node matches parks it', () => {
      const copy = copyOf(asDaemonSet(podinfo()), 0) as DaemonSet;
      expect(copy.spec?.template?.spec?.nodeSelector).to.deep.equal({ [LABEL_SCALE_TO_ZERO]: 'true' });
    });

    it('when the user\'s DaemonSet is held with OnDelete, then the copy uses the saved strategy', () => {
      const target = asDaemonSet(podinfo());
      target.spec!.updateStrategy = { type: 'OnDelete' };
      target.metadata.annotations = { [ANNOTATION_SAVED_UPDATE_STRATEGY]: JSON.stringify({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }) };
      expect((copyOf(target, 1) as DaemonSet).spec?.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
    });

    it('when the user\'s own strategy is OnDelete, then the copy still rolls (RollingUpdate), so it runs each new revision', () => {
      const target = asDaemonSet(podinfo());
      target.spec!.updateStrategy = { type: 'OnDelete' };
      expect((copyOf(target, 1) as DaemonSet).spec?.updateStrategy).to.deep.equal({ type: 'RollingUpdate' });
    });
  });
});
