// Revision interception against the real apiserver and real kubectl (issue 4): the user's
// Deployment accepts every new template but its rollout is held; its pods keep serving the stable
// revision until the stepper's identity releases the hold.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { testNamespace } from '../harness/cluster.js';
import { eventually } from '../harness/process.js';
import { STEPPER_USER, type WebhookProcess } from '../harness/webhook.js';
import { templateRevision } from '../../src/api/revision.js';
import { ANNOTATION_PENDING_REVISION, ANNOTATION_STABLE_REVISION, ANNOTATION_HELD, LABEL_CANARY } from '../../src/api/keys.js';
import type { KubeObject } from '../../src/kube/client.js';

interface Workload extends KubeObject {
  spec: { paused?: boolean; replicas?: number; template: { spec: { containers: { image: string }[] } }; updateStrategy?: { type?: string } };
  status?: { availableReplicas?: number; numberAvailable?: number; updatedReplicas?: number };
}

const OLD = 'ghcr.io/stefanprodan/podinfo:6.0.0';
const NEW = 'ghcr.io/stefanprodan/podinfo:6.0.1';

function deploymentYaml(ns: string, image: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: ${ns}
  labels: {app: podinfo, ${LABEL_CANARY}: podinfo}
spec:
  replicas: 2
  selector: {matchLabels: {app: podinfo}}
  template:
    metadata: {labels: {app: podinfo}${extra}}
    spec:
      containers: [{name: podinfod, image: ${image}}]
`;
}

describe('interception: a canaried workload holds its rollout (real apiserver, real kubectl)', function () {
  let webhook: WebhookProcess;
  let ns: string;
  const ref = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'podinfo' });
  const kubectl = (...args: string[]) => e2e().cluster.kubectl(['-n', ns, ...args]);
  const kubectlOk = (...args: string[]) => e2e().cluster.kubectlOk(['-n', ns, ...args]);
  const get = async (kind = 'Deployment', name = 'podinfo') =>
    (await e2e().cluster.kube.get<Workload>({ ...ref(), kind, name }))!;
  const pods = async () => {
    const list = await e2e().cluster.kube.list<KubeObject & { spec: { containers: { image: string }[] } }>('v1', 'Pod', ns, { labelSelector: 'app=podinfo' });
    return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({ uid: p.metadata.uid!, image: p.spec.containers[0]!.image, owner: p.metadata.ownerReferences?.[0]?.name })).sort((a, b) => a.uid.localeCompare(b.uid));
  };
  const annotations = async (kind = 'Deployment') => (await get(kind)).metadata.annotations ?? {};
  const waitAvailable = (n: number) => eventually(`${n} available replicas`, async () => ((await get()).status?.availableReplicas === n ? true : undefined), 60_000);

  /** Creates the labelled Deployment and records its stable revision as the stepper would. */
  async function canariedDeployment(): Promise<string> {
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], deploymentYaml(ns, OLD));
    await waitAvailable(2);
    const stable = templateRevision((await get()).spec.template);
    await kubectlOk('annotate', 'deployment/podinfo', `${ANNOTATION_STABLE_REVISION}=${stable}`, `--as=${STEPPER_USER}`);
    return stable;
  }

  before(async function () {
    this.timeout(120_000);
    webhook = await e2e().webhook();
  });

  beforeEach(async function () {
    ns = testNamespace('icpt');
    await e2e().cluster.createNamespace(ns);
  });
  afterEach(async () => e2e().cluster.deleteNamespace(ns));

  it('when a user runs kubectl set image, then the Deployment shows the new image, is held with the pending revision, and its pods are untouched', async () => {
    const stable = await canariedDeployment();
    const before = await pods();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    const after = await get();
    expect(after.spec.template.spec.containers[0]!.image).to.equal(NEW);
    expect(after.spec.paused).to.equal(true);
    expect(after.metadata.annotations).to.include({ [ANNOTATION_PENDING_REVISION]: templateRevision(after.spec.template), [ANNOTATION_STABLE_REVISION]: stable });
    await new Promise((r) => setTimeout(r, 1500)); // give the Deployment controller time to (not) act
    expect(await pods()).to.deep.equal(before);
    expect(before.every((p) => p.image === OLD)).to.equal(true);
  });

  it('when a user applies a manifest with a new image, then the rollout is held the same way', async () => {
    await canariedDeployment();
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], deploymentYaml(ns, NEW));
    const after = await get();
    expect(after.spec.paused).to.equal(true);
    expect(after.metadata.annotations?.[ANNOTATION_PENDING_REVISION]).to.equal(templateRevision(after.spec.template));
  });

  it('when a user runs kubectl rollout restart, then the restart is held as a new revision', async () => {
    await canariedDeployment();
    const before = await pods();
    await kubectlOk('rollout', 'restart', 'deployment/podinfo');
    const after = await get();
    expect(after.spec.paused).to.equal(true);
    expect(after.metadata.annotations?.[ANNOTATION_PENDING_REVISION]).to.equal(templateRevision(after.spec.template));
    expect(await pods()).to.deep.equal(before);
  });

  it('when a user scales a held Deployment, then the scale passes and the stable pods scale', async () => {
    await canariedDeployment();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    await kubectlOk('scale', 'deployment/podinfo', '--replicas=3');
    await waitAvailable(3);
    const now = await pods();
    expect(now).to.have.length(3);
    expect(now.every((p) => p.image === OLD)).to.equal(true);
    expect((await get()).spec.paused).to.equal(true);
  });

  it('when a user runs kubectl rollout resume on a held Deployment, then the hold stays', async () => {
    await canariedDeployment();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    await kubectlOk('rollout', 'resume', 'deployment/podinfo');
    expect((await get()).spec.paused).to.equal(true);
    expect((await pods()).every((p) => p.image === OLD)).to.equal(true);
  });

  it('when a user applies with --dry-run=server, then the answer shows the hold and nothing is stored', async () => {
    await canariedDeployment();
    const before = await get();
    const out = await e2e().cluster.kubectlOk(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], deploymentYaml(ns, NEW));
    const answered = JSON.parse(out) as Workload;
    expect(answered.spec.paused).to.equal(true);
    expect(answered.metadata.annotations?.[ANNOTATION_PENDING_REVISION]).to.equal(templateRevision(answered.spec.template));
    // Controllers may write the status meanwhile; the spec and Davy's metadata must be as before.
    const after = await get();
    expect(after.metadata.generation).to.equal(before.metadata.generation);
    expect(after.spec).to.deep.equal(before.spec);
    expect(after.metadata.annotations).to.deep.equal(before.metadata.annotations);
  });

  it('when two updates come quickly, then the latest is the pending revision', async () => {
    await canariedDeployment();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    await kubectlOk('set', 'image', 'deployment/podinfo', 'podinfod=ghcr.io/stefanprodan/podinfo:6.0.2');
    const after = await get();
    expect(after.spec.template.spec.containers[0]!.image).to.equal('ghcr.io/stefanprodan/podinfo:6.0.2');
    expect(after.metadata.annotations?.[ANNOTATION_PENDING_REVISION]).to.equal(templateRevision(after.spec.template));
  });

  it('when a user reverts to the stable image, then the hold is released and no pod restarts', async () => {
    const stable = await canariedDeployment();
    const before = await pods();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${OLD}`);
    const after = await get();
    expect(after.spec.paused ?? false).to.equal(false);
    expect(after.metadata.annotations).to.not.have.property(ANNOTATION_PENDING_REVISION);
    expect(after.metadata.annotations).to.not.have.property(ANNOTATION_HELD);
    expect(templateRevision(after.spec.template)).to.equal(stable);
    await waitAvailable(2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pods()).to.deep.equal(before);
  });

  it('when a user edits davy.dev/stable-revision, then it is restored', async () => {
    const stable = await canariedDeployment();
    await kubectlOk('annotate', '--overwrite', 'deployment/podinfo', `${ANNOTATION_STABLE_REVISION}=0000000000000000`);
    await kubectlOk('label', 'deployment/podinfo', `${LABEL_CANARY}-`);
    expect(await annotations()).to.include({ [ANNOTATION_STABLE_REVISION]: stable });
    expect((await get()).metadata.labels).to.include({ [LABEL_CANARY]: 'podinfo' });
  });

  it('when the stepper identity releases the hold, then the Deployment rolls out the new revision', async () => {
    await canariedDeployment();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    const held = await get();
    const pending = held.metadata.annotations![ANNOTATION_PENDING_REVISION]!;
    await e2e().cluster.kubectlOk(['-n', ns, 'patch', 'deployment/podinfo', '--type=json', `--as=${STEPPER_USER}`, '-p', JSON.stringify([
      { op: 'remove', path: '/spec/paused' },
      { op: 'remove', path: `/metadata/annotations/${ANNOTATION_HELD.replace('/', '~1')}` },
      { op: 'remove', path: `/metadata/annotations/${ANNOTATION_PENDING_REVISION.replace('/', '~1')}` },
      { op: 'replace', path: `/metadata/annotations/${ANNOTATION_STABLE_REVISION.replace('/', '~1')}`, value: pending },
    ])]);
    await eventually('the new pods', async () => {
      const now = await pods();
      return now.length === 2 && now.every((p) => p.image === NEW) ? now : undefined;
    }, 60_000);
    expect((await get()).spec.paused ?? false).to.equal(false);
  });

  it('when a second field manager server-side applies the same manifest twice, then the second apply changes nothing', async () => {
    await canariedDeployment();
    const apply = () => e2e().cluster.kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=gitops', '-f', '-'], deploymentYaml(ns, NEW));
    await apply();
    const first = await get();
    expect(first.spec.paused).to.equal(true);
    await apply();
    // Controllers may write the status in between; what the user and Davy own must not move.
    const second = await get();
    expect(second.metadata.generation).to.equal(first.metadata.generation);
    expect(second.spec).to.deep.equal(first.spec);
    expect(second.metadata.annotations).to.deep.equal(first.metadata.annotations);
    expect(second.metadata.labels).to.deep.equal(first.metadata.labels);
    const managers = (o: Workload) => (o.metadata.managedFields as { manager: string; time: string }[]).map((m) => `${m.manager}@${m.time}`).filter((m) => m.startsWith('gitops@'));
    expect(managers(second)).to.deep.equal(managers(first));
  });

  it('when an unlabelled Deployment is updated, then the webhook is never called', async () => {
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], deploymentYaml(ns, OLD).replace(`, ${LABEL_CANARY}: podinfo`, ''));
    const calls = await webhook.mutateCalls();
    await kubectlOk('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
    expect(await webhook.mutateCalls()).to.equal(calls);
    expect((await get()).spec.paused).to.equal(undefined);
  });

  it('when a canaried DaemonSet gets a new image, then it is held with OnDelete and its strategy is saved', async () => {
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}, labels: {${LABEL_CANARY}: agent}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: ${OLD}}]}
`);
    const ds = await get('DaemonSet', 'agent');
    await kubectlOk('annotate', 'daemonset/agent', `${ANNOTATION_STABLE_REVISION}=${templateRevision(ds.spec.template)}`, `--as=${STEPPER_USER}`);
    await kubectlOk('set', 'image', 'daemonset/agent', `agent=${NEW}`);
    const held = await get('DaemonSet', 'agent');
    expect(held.spec.updateStrategy?.type).to.equal('OnDelete');
    expect(held.metadata.annotations?.[ANNOTATION_PENDING_REVISION]).to.equal(templateRevision(held.spec.template));
    expect(JSON.parse(held.metadata.annotations!['davy.dev/saved-update-strategy']!)).to.have.property('type', 'RollingUpdate');
  });

  it('when the webhook is down, then updates of labelled Deployments are refused with a clear error and unlabelled ones pass', async () => {
    await canariedDeployment();
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], deploymentYaml(ns, OLD).replace('name: podinfo\n', 'name: plain\n').replace(`, ${LABEL_CANARY}: podinfo`, ''));
    await webhook.stop();
    try {
      const refused = await kubectl('set', 'image', 'deployment/podinfo', `podinfod=${NEW}`);
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.match(/failed calling webhook "mutate\.davy\.dev"/);
      await kubectlOk('set', 'image', 'deployment/plain', `podinfod=${NEW}`);
    } finally {
      await webhook.start();
    }
  });
});
