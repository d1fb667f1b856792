// The Helm chart on the local control plane with the real helm: install, upgrade and uninstall a
// release. It is named davy-e2e (its ClusterRoles and WebhookConfigurations must not touch the
// environment's own) and its webhooks only see its namespace, so tests running beside it are not
// sent to a webhook whose pods are kwok's stand-ins.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { eventually } from '../harness/process.js';
import { CHART, helm, helmBinary, type HelmRun } from '../support/helm.js';
import type { KubeObject } from '../../src/kube/client.js';
import { build } from '../../hack/helm-chart.js';

const NAMESPACE = 'helm-e2e';
const RELEASE = 'davy-e2e';

type Rules = { apiGroups: string[]; resources: string[]; verbs: string[] }[];
type WebhookConfig = KubeObject & { webhooks: { clientConfig: { caBundle?: string; service: { name: string; namespace: string } } }[] };
type CronJob = KubeObject & { spec: { schedule: string; jobTemplate: { spec: { completionMode?: string; completions?: number } } } };

function ok(run: HelmRun, what: string): string {
  expect(run.status, `${what}: ${run.stdout}${run.stderr}`).to.equal(0);
  return run.stdout;
}

describe('the Helm chart installed with the real helm', function () {
  this.timeout(600_000);
  const kubeconfig = () => ['--kubeconfig', e2e().cluster.kubeconfig, '--namespace', NAMESPACE];
  const get = <T extends KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string) =>
    e2e().cluster.kube.get<T>({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) });
  const values = [
    '--set', `name=${RELEASE}`,
    '--set', 'certificates.source=self-signed',
    '--set', `webhook.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=${NAMESPACE}`,
  ];

  before(function () {
    this.timeout(900_000); // helmBinary() builds helm on a fresh cache
    helmBinary();
  });
  after(async () => {
    helm(['uninstall', RELEASE, '--ignore-not-found', '--wait', ...kubeconfig()]);
    await e2e().cluster.deleteNamespace(NAMESPACE, { untilGone: true });
  });

  it('when installed, then deploy/\'s objects run under the release\'s names with a working self-signed certificate', async () => {
    ok(helm(['install', RELEASE, CHART, '--create-namespace', '--wait', '--timeout', '3m', ...values, ...kubeconfig()]), 'helm install');
    const webhook = await get<KubeObject & { spec: { replicas: number } }>('apps/v1', 'Deployment', `${RELEASE}-webhook`, NAMESPACE);
    expect(webhook?.spec.replicas).to.equal(2);
    // The stepper's ClusterRole grants exactly what deploy/'s grants.
    const kustomized = build('deploy').find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'davy-stepper') as unknown as { rules: Rules };
    const role = await get<KubeObject & { rules: Rules }>('rbac.authorization.k8s.io/v1', 'ClusterRole', `${RELEASE}-stepper`);
    expect(role?.rules).to.deep.equal(kustomized.rules);
    const canWrite = await e2e().cluster.kubectl(['auth', 'can-i', 'update', 'canaries.flagger.app', '--subresource=status', `--as=system:serviceaccount:${NAMESPACE}:${RELEASE}-stepper`]);
    expect(canWrite.stdout.trim()).to.equal('yes');
    const secret = await get<KubeObject & { data: Record<string, string> }>('v1', 'Secret', `${RELEASE}-webhook-tls`, NAMESPACE);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const name = `${RELEASE}-${kind.startsWith('Validating') ? 'validate' : 'mutate'}`;
      const config = await get<WebhookConfig>('admissionregistration.k8s.io/v1', kind, name);
      expect(config?.webhooks[0]?.clientConfig.service).to.include({ name: `${RELEASE}-webhook`, namespace: NAMESPACE });
      expect(config?.webhooks[0]?.clientConfig.caBundle).to.equal(secret?.data['ca.crt']);
    }
  });

  it('when upgraded with new values, then the objects follow and the generated certificate is kept', async () => {
    const before = await get<KubeObject & { data: Record<string, string> }>('v1', 'Secret', `${RELEASE}-webhook-tls`, NAMESPACE);
    ok(helm(['upgrade', RELEASE, CHART, '--reuse-values', '--wait', '--timeout', '3m', '--set', 'webhook.replicas=1', '--set', 'stepper.schedule=*/5 * * * *', '--set', 'stepper.shards=2', ...kubeconfig()]), 'helm upgrade');
    const cronJob = await get<CronJob>('batch/v1', 'CronJob', `${RELEASE}-stepper`, NAMESPACE);
    expect(cronJob?.spec.schedule).to.equal('*/5 * * * *');
    expect(cronJob?.spec.jobTemplate.spec).to.include({ completionMode: 'Indexed', completions: 2 });
    const webhook = await get<KubeObject & { spec: { replicas: number } }>('apps/v1', 'Deployment', `${RELEASE}-webhook`, NAMESPACE);
    expect(webhook?.spec.replicas).to.equal(1);
    const after = await get<KubeObject & { data: Record<string, string> }>('v1', 'Secret', `${RELEASE}-webhook-tls`, NAMESPACE);
    expect(after?.data).to.deep.equal(before?.data);
    expect(ok(helm(['history', RELEASE, '-o', 'json', ...kubeconfig()]), 'helm history')).to.match(/"revision":2/);
    // The generated pair lives in the Secret only, never in the release's stored values.
    const stored = ok(helm(['get', 'values', RELEASE, '--all', '-o', 'json', ...kubeconfig()]), 'helm get values');
    expect(stored).to.include('self-signed').and.not.include(after?.data['tls.key'] ?? 'no key');
  });

  it('when uninstalled, then the release\'s objects, cluster-wide ones included, are gone and the CRDs stay', async () => {
    ok(helm(['uninstall', RELEASE, '--wait', ...kubeconfig()]), 'helm uninstall');
    const gone = [
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', `${RELEASE}-stepper`, undefined],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', `${RELEASE}-webhook`, undefined],
      ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', `${RELEASE}-validate`, undefined],
      ['apps/v1', 'Deployment', `${RELEASE}-webhook`, NAMESPACE],
      ['batch/v1', 'CronJob', `${RELEASE}-stepper`, NAMESPACE],
    ] as const;
    for (const [apiVersion, kind, name, namespace] of gone) {
      await eventually(`${kind} ${name} to go`, async () => ((await get(apiVersion, kind, name, namespace)) ? undefined : true), 60_000, 500);
    }
    expect(await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'canaries.flagger.app')).to.not.equal(undefined);
  });
});
