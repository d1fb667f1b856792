// The Helm chart (deploy/helm/davy) against the kustomize base it is generated from, with the real
// helm: no drift from deploy/, `helm lint`, `helm template` equal to `kubectl kustomize deploy/`
// for the default values, and each value landing where it should. test/e2e/helm.test.ts installs it.
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { build, chartFiles, staleFiles } from '../../hack/helm-chart.js';
import { CHART, find, helm, helmBinary, render, type Manifest } from '../support/helm.js';
import { hasGo } from '../support/kstatus.js';

const keyOf = (o: Manifest): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objects: Manifest[]): Manifest[] => [...objects].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

type Container = { name: string; image: string; imagePullPolicy: string; args: string[]; env?: { name: string; value: string }[] };
type PodSpec = { containers: Container[]; serviceAccountName: string; volumes: { secret?: { secretName: string } }[] };
const podOf = (o: Manifest | undefined): PodSpec => {
  const spec = o?.spec as { template: { spec: PodSpec }; jobTemplate: { spec: { template: { spec: PodSpec } } } };
  return o?.kind === 'CronJob' ? spec.jobTemplate.spec.template.spec : spec.template.spec;
};
const webhooksOf = (o: Manifest | undefined): { clientConfig: { caBundle?: string; service: { name: string; namespace: string } }; namespaceSelector?: unknown; matchConditions?: unknown }[] =>
  (o as unknown as { webhooks: [] }).webhooks;

describe('the Helm chart (deploy/helm/davy)', function () {
  this.timeout(900_000); // the first run builds helm

  it('when deploy/ is built with kustomize, then the generated templates, CRDs and schema are what the generator makes of it', () => {
    const wanted = chartFiles();
    expect([...wanted.keys()]).to.include.members(['crds/canaries.flagger.app.yaml', 'values.schema.json', 'templates/generated-cronjob-davy-stepper.yaml']);
    expect(staleFiles(wanted), 'stale: run npx tsx hack/helm-chart.ts').to.deep.equal([]);
  });

  describe('with the real helm', () => {
    before(function () {
      if (!hasGo() && !process.env.HELM) this.skip(); // no Go to build helm with, and no HELM given
      helmBinary();
    });

    it('when linted with each certificate source, then helm finds nothing wrong', () => {
      for (const source of ['existing-secret', 'self-signed', 'cert-manager']) {
        const run = helm(['lint', '--strict', CHART, '--set', `certificates.source=${source}`]);
        expect(run.status, `${source}: ${run.stdout}${run.stderr}`).to.equal(0);
      }
    });

    it('when rendered with the default values into davy-system, then it is kubectl kustomize deploy/ without the Namespace', () => {
      const kustomized = build('deploy') as unknown as Manifest[];
      expect(kustomized.map((o) => o.kind)).to.include('Namespace');
      expect(byKey(render('davy-system'))).to.deep.equal(byKey(kustomized.filter((o) => o.kind !== 'Namespace')));
    });

    it('when values are set, then the image, replicas, schedule, shards, concurrency, provider and metrics server follow', () => {
      const objects = render('ops', {
        'image.repository': 'ghcr.io/acme/davy', 'image.tag': '1.2.3', 'image.pullPolicy': 'Always', 'webhook.replicas': '3',
        'stepper.schedule': '*/2 * * * *', 'stepper.shards': '4', 'stepper.shardBy': 'namespace', 'stepper.concurrency': '32',
        meshProvider: 'linkerd', metricsServer: 'http://prom.monitoring:9090',
      });
      const webhook = find(objects, 'Deployment', 'davy-webhook');
      const stepper = find(objects, 'CronJob', 'davy-stepper');
      expect((webhook?.spec as { replicas: number }).replicas).to.equal(3);
      for (const pod of [podOf(webhook), podOf(stepper)]) expect(pod.containers[0]).to.include({ image: 'ghcr.io/acme/davy:1.2.3', imagePullPolicy: 'Always' });
      const cron = stepper?.spec as { schedule: string; jobTemplate: { spec: Record<string, unknown> } };
      expect(cron.schedule).to.equal('*/2 * * * *');
      expect(cron.jobTemplate.spec).to.include({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
      expect(podOf(stepper).containers[0]?.args).to.deep.equal([
        'step', '--for=55s', '--shard=4', '--shard-by=namespace', '--concurrency=32', '--mesh-provider=linkerd', '--metrics-server=http://prom.monitoring:9090',
      ]);
      expect(objects.every((o) => o.kind === 'CustomResourceDefinition' || o.metadata.namespace === undefined || o.metadata.namespace === 'ops')).to.equal(true);
    });

    it('when the release is given another name and namespace, then every name, reference and the stepper identity follow', () => {
      const objects = render('team-a', { name: 'davy-a', 'webhook.namespaceSelector.matchLabels.davy': 'on' });
      const names = objects.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => o.metadata.name);
      expect(names.every((name) => name.startsWith('davy-a-')), names.join(' ')).to.equal(true);
      const binding = find(objects, 'ClusterRoleBinding', 'davy-a-stepper') as unknown as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
      expect(binding.roleRef.name).to.equal('davy-a-stepper');
      expect(binding.subjects).to.deep.include({ kind: 'ServiceAccount', name: 'davy-a-stepper', namespace: 'team-a' });
      const webhook = podOf(find(objects, 'Deployment', 'davy-a-webhook'));
      expect(webhook.containers[0]?.env).to.deep.include({ name: 'DAVY_STEPPER_IDENTITY', value: 'system:serviceaccount:team-a:davy-a-stepper' });
      expect(webhook.volumes.map((v) => v.secret?.secretName).filter(Boolean)).to.deep.equal(['davy-a-webhook-tls']);
      for (const config of ['davy-a-validate', 'davy-a-mutate']) {
        const [hook] = webhooksOf(find(objects, config.endsWith('validate') ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration', config));
        expect(hook?.clientConfig.service).to.include({ name: 'davy-a-webhook', namespace: 'team-a' });
        expect(hook?.namespaceSelector).to.deep.equal({ matchLabels: { davy: 'on' } });
        expect(hook?.matchConditions).to.deep.equal([{ name: 'not-the-stepper', expression: "request.userInfo.username != 'system:serviceaccount:team-a:davy-a-stepper'" }]);
      }
    });

    it('when certificates are self-signed, then the Secret holds a certificate for the Service that the caBundles verify', () => {
      const objects = render('davy-system', { 'certificates.source': 'self-signed' });
      const secret = find(objects, 'Secret', 'davy-webhook-tls') as unknown as { data: Record<string, string> };
      const pem = (key: string) => Buffer.from(secret.data[key] ?? '', 'base64').toString();
      const ca = new X509Certificate(pem('ca.crt'));
      const cert = new X509Certificate(pem('tls.crt'));
      expect(cert.verify(ca.publicKey)).to.equal(true);
      expect(cert.subjectAltName).to.include('DNS:davy-webhook.davy-system.svc');
      expect(pem('tls.key')).to.include('PRIVATE KEY');
      for (const config of [find(objects, 'ValidatingWebhookConfiguration', 'davy-validate'), find(objects, 'MutatingWebhookConfiguration', 'davy-mutate')]) {
        expect(webhooksOf(config)[0]?.clientConfig.caBundle).to.equal(secret.data['ca.crt']);
      }
    });

    it('when cert-manager issues the certificates, then its Issuers and Certificates come and cainjector owns the caBundles', () => {
      const objects = render('davy-system', { 'certificates.source': 'cert-manager' });
      expect(objects.filter((o) => o.apiVersion === 'cert-manager.io/v1').map(keyOf).sort()).to.deep.equal([
        'Certificate/davy-system/davy-webhook', 'Certificate/davy-system/davy-webhook-ca', 'Issuer/davy-system/davy-selfsigned', 'Issuer/davy-system/davy-webhook-ca',
      ]);
      const validate = find(objects, 'ValidatingWebhookConfiguration', 'davy-validate');
      expect(validate?.metadata.annotations).to.deep.equal({ 'cert-manager.io/inject-ca-from': 'davy-system/davy-webhook' });
      expect(webhooksOf(validate)[0]?.clientConfig).to.not.have.property('caBundle');
      expect(find(objects, 'Secret', 'davy-webhook-tls')).to.equal(undefined);
    });

    it('when a value is wrong, then helm refuses it and names it', () => {
      const cases: [string, string][] = [['certificates.source=vault', 'certificates.source'], ['stepper.shards=0', 'stepper.shards'], ['meshProvider=appmesh', 'meshProvider']];
      for (const [set, path] of cases) {
        const run = helm(['template', 'davy', CHART, '--set', set]);
        expect(run.status, set).to.not.equal(0);
        expect(run.stderr, set).to.include(path.split('.').at(-1));
      }
    });
  });
});
