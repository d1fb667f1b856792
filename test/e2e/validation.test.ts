// Validation at `kubectl apply` (issue 3): the real apiserver calls Davy's validating webhook,
// which denies a bad Canary with every error at once and returns warnings kubectl prints.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { testNamespace } from '../harness/cluster.js';
import { eventually } from '../harness/process.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../shared/examples');

const canary = (ns: string, analysis: string, extra = '') => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web, namespace: ${ns}}
spec:
  provider: osm
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  service: {port: 9898}${extra}
  analysis:
${analysis}`;

const deployment = (ns: string, name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: example/${name}:1}]}
`;

describe('validation: the webhook at kubectl apply (real apiserver, real kubectl)', function () {
  let ns: string;
  const apply = (yaml: string, ...flags: string[]) => e2e().cluster.kubectl(['apply', ...flags, '-f', '-'], yaml);

  before(async function () {
    this.timeout(120_000);
    await e2e().webhook();
  });

  beforeEach(async () => {
    ns = testNamespace('valid');
    await e2e().cluster.createNamespace(ns);
    await e2e().cluster.kubectlOk(['apply', '-f', '-'], deployment(ns, 'web'));
  });
  afterEach(async () => e2e().cluster.deleteNamespace(ns));

  it('when a Canary has three independent mistakes, then one denial lists all three, and --dry-run=server says the same', async () => {
    const bad = canary(ns, `    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 60
    metrics:
      - name: request-sucess-rate
        thresholdRange: {min: 99}
    webhooks:
      - name: load-test
        url: ftp://loadtester.test/
`);
    for (const flags of [[], ['--dry-run=server']]) {
      const result = await apply(bad, ...flags);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.include('spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)');
      expect(result.stderr).to.include('spec.analysis.metrics[0].name');
      expect(result.stderr).to.include('spec.analysis.webhooks[0].url');
    }
    expect((await e2e().cluster.kubectl(['-n', ns, 'get', 'canary', 'web'])).code).to.not.equal(0);
  });

  it('when a Canary is valid, then it is accepted and stored', async () => {
    const result = await apply(canary(ns, `    interval: 30s
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        interval: 1m
`));
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.not.include('Warning');
    expect(await e2e().cluster.kubectlOk(['-n', ns, 'get', 'canary', 'web', '-o', 'jsonpath={.spec.analysis.stepWeight}'])).to.equal('10');
  });

  it('when a Canary is legal but suspicious, then kubectl prints a Warning and stores it, with or without --dry-run=server', async () => {
    const slow = canary(ns, `    interval: 10m
    threshold: 5
    maxWeight: 50
    stepWeight: 5
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
`);
    for (const flags of [['--dry-run=server'], []]) {
      const result = await apply(slow, ...flags);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.match(/^Warning: .*(30 minutes|analysis)/m);
    }
  });

  it('when the target does not exist, then the cluster-aware check denies it with the field path', async () => {
    const result = await apply(canary(ns, `    interval: 30s
    threshold: 5
    iterations: 3
`).replace('name: web}', 'name: missing}'));
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/spec\.targetRef\.name: Not found: .*missing/);
  });

  it('when a second Canary targets the same workload, then it is denied', async () => {
    const ok = canary(ns, `    interval: 30s
    threshold: 5
    iterations: 3
`);
    expect((await apply(ok)).code).to.equal(0);
    const second = await apply(ok.replace('name: web, namespace', 'name: web2, namespace'));
    expect(second.code).to.equal(1);
    expect(second.stderr).to.match(/spec\.targetRef/);
  });

  describe('the shared examples', () => {
    const namespaces = ['test', 'application'];
    before(async () => {
      const { cluster } = e2e();
      for (const name of namespaces) await cluster.createNamespace(name).catch(() => undefined);
      await cluster.kubectlOk(['apply', '-f', path.join(EXAMPLES, 'podinfo-deployment.yaml')]);
      await cluster.kubectlOk(['apply', '-f', path.join(EXAMPLES, 'podinfo-scaledobject.yaml')]);
      await cluster.kubectlOk(['apply', '-f', '-'], deployment('default', 'reviews') + '---\n' + deployment('application', 'mhs'));
    });
    after(async function () {
      this.timeout(120_000);
      const { cluster } = e2e();
      await cluster.kubectl(['delete', '--ignore-not-found', '-n', 'default', 'deployment/reviews', 'canary/reviews']);
      for (const name of namespaces) await cluster.deleteNamespace(name);
      for (const name of namespaces) {
        await eventually(`namespace ${name} to be gone`, async () =>
          ((await cluster.kube.get({ apiVersion: 'v1', kind: 'Namespace', name })) ? undefined : true), 90_000, 500);
      }
    });

    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.includes('canary'))) {
      it(`when ${file} is applied unchanged, then it is accepted`, async () => {
        const { cluster } = e2e();
        const manifest = path.join(EXAMPLES, file);
        const result = await cluster.kubectl(['apply', '-f', manifest]);
        expect(result.code, result.stderr).to.equal(0);
        // Several examples target podinfo in namespace test: remove it for the next one.
        await cluster.kubectlOk(['delete', '-f', manifest, '--wait=true']);
      });
    }
  });
});
