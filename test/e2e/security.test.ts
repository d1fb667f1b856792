// Security guards through the real apiserver (issue 11): who may write Davy's state, and the
// webhook's cluster checks under deploy/'s own RBAC (the harness runs it with its ServiceAccount's
// token, so a permission deploy/ lacks fails here).
import path from 'node:path';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Cluster, testNamespace } from '../harness/cluster.js';
import { grantStepperSecrets, stepOnce, stepperKubeconfig } from '../harness/stepper.js';

const canary = (ns: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web, namespace: ${ns}}
spec:
  provider: kubernetes
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  service: {port: 9898}
  analysis: {interval: 10s, threshold: 2, iterations: 2}
`;

const deployment = (ns: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: example/web:1}]}
`;

/** A Role like the aggregated `edit` ClusterRole gives on Canaries, for the user alice. */
const editor = (ns: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: canary-editor, namespace: ${ns}}
rules:
  - {apiGroups: [flagger.app], resources: [canaries, metrictemplates], verbs: [get, list, create, update, patch, delete]}
  - {apiGroups: [""], resources: [secrets], verbs: [get, list, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edits, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: canary-editor}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`;

const FORGED = JSON.stringify({ phase: 'Promoting' });

describe('security: only the stepper writes state, and the webhook works under its own RBAC', function () {
  let ns: string;
  const cluster = () => e2e().cluster;
  const asAlice = (args: string[], input?: string) => cluster().kubectl(['--as', 'alice', ...args], input);
  const state = async () => cluster().kubectlOk(['-n', ns, 'get', 'canary', 'web', '-o', 'jsonpath={.metadata.annotations.davy\\.dev/state}']);

  before(async function () {
    this.timeout(120_000);
    await e2e().webhook();
  });

  beforeEach(async () => {
    ns = testNamespace('sec');
    await cluster().createNamespace(ns);
    await cluster().kubectlOk(['apply', '-f', '-'], deployment(ns) + '---\n' + editor(ns));
    await cluster().kubectlOk(['apply', '-f', '-'], canary(ns));
  });
  afterEach(async () => cluster().deleteNamespace(ns));

  it('when a user with edit rights forges davy.dev/state by annotate, merge patch or forced server-side apply, then each is denied and the state is unchanged', async () => {
    const attempts = [
      ['annotate', `davy.dev/state=${FORGED}`],
      ['patch', '--type=merge', '-p', JSON.stringify({ metadata: { annotations: { 'davy.dev/state': FORGED } } })],
    ];
    for (const args of attempts) {
      const result = await asAlice(['-n', ns, ...args.slice(0, 1), 'canary', 'web', ...args.slice(1)]);
      expect(result.code, result.stdout).to.equal(1);
      expect(result.stderr).to.include('only Davy\'s stepper may write the state annotation');
    }
    const applied = await asAlice(['apply', '--server-side', '--force-conflicts', '--field-manager', 'alice', '-f', '-'],
      canary(ns).replace('namespace: ' + ns + '}', `namespace: ${ns}, annotations: {davy.dev/state: '${FORGED}'}}`));
    expect(applied.code, applied.stdout).to.equal(1);
    expect(applied.stderr).to.include('davy.dev/state');
    expect(await state()).to.equal('');
    // Alice keeps her own channel: the action annotation is hers to write.
    const action = await asAlice(['-n', ns, 'annotate', 'canary', 'web', 'davy.dev/action={"action":"abort","nonce":"n1"}']);
    expect(action.code, action.stderr).to.equal(0);
  });

  it('when the stepper writes the state, then it is stored, and a user can neither change nor remove it (nor a status write)', async function () {
    const stepper = new Cluster(await stepperKubeconfig(cluster(), path.join(e2e().stateDir, `${ns}-stepper.kubeconfig`)), cluster().kubectlPath);
    const stored = JSON.stringify({ phase: 'Initialized' });
    // The stepper writes by update (deploy/ grants it no patch on canaries), as src/runner does.
    const current = JSON.parse(await cluster().kubectlOk(['-n', ns, 'get', 'canary', 'web', '-o', 'json'])) as { metadata: { annotations?: Record<string, string> } };
    current.metadata.annotations = { ...current.metadata.annotations, 'davy.dev/state': stored };
    const written = await stepper.kubectl(['replace', '-f', '-'], JSON.stringify(current));
    expect(written.code, written.stderr).to.equal(0);
    expect(await state()).to.equal(stored);

    for (const args of [['annotate', 'canary', 'web', '--overwrite', `davy.dev/state=${FORGED}`], ['annotate', 'canary', 'web', 'davy.dev/state-']]) {
      const result = await asAlice(['-n', ns, ...args]);
      expect(result.code, result.stdout).to.equal(1);
      expect(result.stderr).to.include('Forbidden');
    }
    // canaries/status is outside the webhook's rules: the apiserver itself keeps metadata as stored there.
    await cluster().kubectl(['-n', ns, 'patch', 'canary', 'web', '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ metadata: { annotations: { 'davy.dev/state': FORGED } }, status: { phase: 'Progressing' } })]);
    expect(await state()).to.equal(stored);
  });

  it('when a MetricTemplate names a secretRef, then the webhook (deploy/\'s RBAC, no Secret access) accepts it with a warning, and a Canary may use it', async () => {
    const template = `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: errors, namespace: ${ns}}
spec:
  provider: {type: prometheus, address: "http://prometheus.test:9090", secretRef: {name: prom-auth}}
  query: sum(rate(http_requests_total{namespace="{{ namespace }}",code=~"5.."}[{{ interval }}]))
`;
    await cluster().kubectlOk(['-n', ns, 'create', 'secret', 'generic', 'prom-auth', '--from-literal=token=t']);
    const created = await asAlice(['apply', '-f', '-'], template);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stderr).to.include('Warning: spec.provider.secretRef.name: Secret "prom-auth" is not looked up at admission');
    const withMetric = canary(ns).replace('iterations: 2}', 'iterations: 2, metrics: [{name: errors, templateRef: {name: errors}, thresholdRange: {max: 1}, interval: 1m}]}');
    const used = await asAlice(['apply', '-f', '-'], withMetric);
    expect(used.code, used.stderr).to.equal(0);
  });

  it('when the stepper tracks a Secret, then it may list Secrets only in a namespace bound to davy-stepper-secrets, and tracks it there', async function () {
    const stepperUser = 'system:serviceaccount:davy-system:davy-stepper';
    const canList = async (namespace: string) => (await cluster().kubectl(['auth', 'can-i', 'list', 'secrets', '-n', namespace, '--as', stepperUser])).stdout.trim();
    expect(await canList(ns)).to.equal('no');
    expect(await canList('kube-system')).to.equal('no');
    await cluster().kubectlOk(['-n', ns, 'create', 'secret', 'generic', 'app-config', '--from-literal=mode=blue']);
    await cluster().kubectlOk(['-n', ns, 'patch', 'deployment', 'web', '--type=json', '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0/envFrom', value: [{ secretRef: { name: 'app-config' } }] }])]);
    const kubeconfig = await stepperKubeconfig(cluster(), path.join(e2e().stateDir, `${ns}-stepper.kubeconfig`));
    const step = () => stepOnce({ kubeconfig, metricsServer: e2e().prometheus.url, logFile: path.join(e2e().stateDir, `${ns}-step.log`), namespaces: [ns] });
    const tracked = async () => (JSON.parse((await state()) || '{}') as { trackedConfigs?: Record<string, string> }).trackedConfigs ?? {};

    await step();
    expect(await tracked()).to.not.have.property('secret/app-config');
    await grantStepperSecrets(cluster(), ns);
    expect(await canList(ns)).to.equal('yes');
    await step();
    expect(await tracked()).to.have.property('secret/app-config').that.matches(/^[0-9a-f]{16}$/);
  });

  it('when deploy/webhook/base\'s NetworkPolicy is sent to the apiserver, then it is a valid object (server-side dry run)', async () => {
    const policy = path.resolve(import.meta.dirname, '../../deploy/webhook/base/networkpolicy.yaml');
    const result = await cluster().kubectl(['apply', '--dry-run=server', '-n', 'davy-system', '-f', policy]);
    expect(result.code, result.stderr).to.equal(0);
  });
});
