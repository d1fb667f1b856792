// Cluster-aware checks against an in-memory lookup.

import { expect } from 'chai';
import {
  checkAlertProviderAgainstCluster,
  checkCanaryAgainstCluster,
  checkMetricTemplateAgainstCluster,
  checkResourceAgainstCluster,
  overlayLookup,
  type ClusterLookup,
  type ClusterObject,
} from '../../../src/api/cluster-checks.js';
import { parseAddressPolicy, type AddressPolicy } from '../../../src/api/address-policy.js';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { LABEL_MANAGED_BY_CANARY } from '../../../src/api/keys.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { fixture, type Doc } from './helpers.js';

/** The KubeClient port must satisfy ClusterLookup as it is (checked by the compiler). */
export const kubeClientIsALookup = (client: KubeClient): ClusterLookup => client;

const obj = (apiVersion: string, kind: string, name: string, extra: Partial<ClusterObject> & { labels?: Record<string, string> } = {}, namespace = 'test'): ClusterObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace, ...(extra.labels ? { labels: extra.labels } : {}) },
  ...(extra.spec ? { spec: extra.spec } : {}),
});

class MemoryLookup implements ClusterLookup {
  calls = 0;
  constructor(readonly objects: ClusterObject[]) {}
  get(ref: { apiVersion: string; kind: string; name: string; namespace?: string }): Promise<ClusterObject | undefined> {
    this.calls++;
    return Promise.resolve(
      this.objects.find((o) => o.apiVersion === ref.apiVersion && o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata.namespace === ref.namespace),
    );
  }
  list(apiVersion: string, kind: string, namespace?: string): Promise<{ items: ClusterObject[] }> {
    this.calls++;
    return Promise.resolve({ items: this.objects.filter((o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata?.namespace === namespace)) });
  }
}

/** A MetricTemplate of istio-system, shared with `sharedWith` (its davy.dev/shared-with annotation) when given. */
const istioTemplate = (sharedWith?: string): ClusterObject => {
  const template = obj('flagger.app/v1beta1', 'MetricTemplate', 'error-rate', {}, 'istio-system');
  if (sharedWith !== undefined) (template.metadata as Record<string, unknown>).annotations = { 'davy.dev/shared-with': sharedWith };
  return template;
};

/** Everything the Istio fixture refers to. */
const world = (): ClusterObject[] => [
  obj('apps/v1', 'Deployment', 'podinfo'),
  obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'podinfo'),
  istioTemplate('test'),
  obj('flagger.app/v1beta1', 'AlertProvider', 'on-call', {}, 'flagger'),
  obj('v1', 'Service', 'podinfo'),
];

const check = async (canary: Doc, objects: ClusterObject[]): Promise<string[]> =>
  (await checkCanaryAgainstCluster(canary, new MemoryLookup(objects))).errors.map(formatFieldError);

describe('checkCanaryAgainstCluster', () => {
  it('when everything referenced exists and the apex Service is the user\'s, then there is no error', async () => {
    expect(await check(fixture('canary-istio.yaml'), world())).to.deep.equal([]);
  });

  it('when the target, autoscaler, template and alert provider are missing, then each is reported where it is named', async () => {
    expect(await check(fixture('canary-istio.yaml'), [])).to.have.members([
      'spec.targetRef.name: Not found: "podinfo": no Deployment of that name in namespace test',
      'spec.autoscalerRef.name: Not found: "podinfo": no HorizontalPodAutoscaler of that name in namespace test',
      'spec.analysis.metrics[2].templateRef.name: Not found: "error-rate": no MetricTemplate of that name in namespace istio-system',
      'spec.analysis.alerts[0].providerRef.name: Not found: "on-call": no AlertProvider of that name in namespace flagger',
    ]);
  });

  it('when a templateRef names another namespace\'s template that is not shared with the Canary\'s, then a warning says the check will fail; shared by name or "*", nothing is said', async () => {
    const others = world().filter((o) => o.kind !== 'MetricTemplate');
    const lookup = async (sharedWith: string | undefined) => checkCanaryAgainstCluster(fixture('canary-istio.yaml'), new MemoryLookup([...others, istioTemplate(sharedWith)]));
    for (const sharedWith of [undefined, '', 'prod, staging', 'tests']) {
      const result = await lookup(sharedWith);
      expect(result.errors, String(sharedWith)).to.deep.equal([]);
      expect(result.warnings, String(sharedWith)).to.have.length(1);
      expect(result.warnings[0]).to.include('spec.analysis.metrics[2].templateRef.name: MetricTemplate "error-rate" of namespace istio-system is not shared with namespace test: this check fails');
    }
    for (const sharedWith of ['*', 'prod, test', 'test']) expect(await lookup(sharedWith)).to.deep.equal({ errors: [], warnings: [] });
  });

  it('when a templateRef names no namespace, then it is looked up in the Canary\'s', async () => {
    const canary = fixture('canary-istio.yaml');
    delete canary.spec.analysis.metrics[2].templateRef.namespace;
    expect(await check(canary, world())).to.deep.equal([
      'spec.analysis.metrics[2].templateRef.name: Not found: "error-rate": no MetricTemplate of that name in namespace test',
    ]);
  });

  it('when another Canary targets the same Deployment, then the target is refused', async () => {
    const other = obj('flagger.app/v1beta1', 'Canary', 'podinfo-old', { spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' } } });
    expect(await check(fixture('canary-istio.yaml'), [...world(), other])).to.deep.equal([
      'spec.targetRef: Forbidden: Canary "podinfo-old" already targets Deployment "podinfo": two canaries on one workload would fight over it',
    ]);
  });

  it('when the Canary itself is already stored (an UPDATE), then it does not count as another Canary', async () => {
    const canary = fixture('canary-istio.yaml');
    const stored = obj('flagger.app/v1beta1', 'Canary', 'podinfo', { spec: canary.spec });
    expect(await check(canary, [...world(), stored])).to.deep.equal([]);
  });

  it('when a Canary targets a DaemonSet of the same name, then it is not the same target', async () => {
    const other = obj('flagger.app/v1beta1', 'Canary', 'ds', { spec: { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } } });
    expect(await check(fixture('canary-istio.yaml'), [...world(), other])).to.deep.equal([]);
  });

  it('when objects Davy will create exist and are not Davy\'s, then each collision is reported', async () => {
    const taken = [obj('apps/v1', 'Deployment', 'podinfo-canary'), obj('v1', 'Service', 'podinfo-primary'), obj('v1', 'Service', 'podinfo-canary', { labels: { [LABEL_MANAGED_BY_CANARY]: 'other' } })];
    expect(await check(fixture('canary-istio.yaml'), [...world(), ...taken])).to.have.members([
      'spec.targetRef.name: Forbidden: Deployment "podinfo-canary" already exists and is not managed by this Canary: Davy creates it for the canary copy',
      'spec.targetRef.name: Forbidden: Service "podinfo-primary" already exists and is not managed by this Canary: Davy creates it for the primary service',
      'spec.targetRef.name: Forbidden: Service "podinfo-canary" already exists and is not managed by this Canary: Davy creates it for the canary service',
    ]);
  });

  it('when the objects Davy will create are already labelled with this Canary, then they are its own', async () => {
    const own = { labels: { [LABEL_MANAGED_BY_CANARY]: 'podinfo' } };
    const mine = [obj('apps/v1', 'Deployment', 'podinfo-canary', own), obj('v1', 'Service', 'podinfo-primary', own), obj('v1', 'Service', 'podinfo-canary', own)];
    expect(await check(fixture('canary-istio.yaml'), [...world(), ...mine])).to.deep.equal([]);
  });

  it('when service.name is set, then the service collisions are reported on it', async () => {
    const canary = fixture('canary-istio.yaml');
    canary.spec.service.name = 'web';
    expect(await check(canary, [...world(), obj('v1', 'Service', 'web-primary')])).to.deep.equal([
      'spec.service.name: Forbidden: Service "web-primary" already exists and is not managed by this Canary: Davy creates it for the primary service',
    ]);
  });

  it('when the Canary has no namespace, then the option (or default) namespace is used', async () => {
    const canary = fixture('canary-istio.yaml');
    delete canary.metadata.namespace;
    const result = await checkCanaryAgainstCluster(canary, new MemoryLookup(world()), { namespace: 'test' });
    expect(result.errors).to.deep.equal([]);
  });

  it('when the input is not a Canary object, then nothing is looked up', async () => {
    const lookup = new MemoryLookup([]);
    expect(await checkCanaryAgainstCluster('nonsense', lookup)).to.deep.equal({ errors: [], warnings: [] });
    expect(lookup.calls).to.equal(0);
  });

  it('when the lookup fails, then the promise rejects with its error', async () => {
    const failing: ClusterLookup = { get: () => Promise.reject(new Error('connection refused')), list: () => Promise.reject(new Error('connection refused')) };
    let caught: unknown;
    await checkCanaryAgainstCluster(fixture('canary-istio.yaml'), failing).catch((e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('connection refused');
  });
});

describe('secretRef checks and dispatch', () => {
  it('when a MetricTemplate\'s Secret is missing, then it is reported in the template\'s namespace', async () => {
    const template = fixture('metrictemplate.yaml');
    template.spec.provider.secretRef = { name: 'prom-auth' };
    const result = await checkMetricTemplateAgainstCluster(template, new MemoryLookup([]), { secrets: 'check' });
    expect(result.errors.map(formatFieldError)).to.deep.equal(['spec.provider.secretRef.name: Not found: "prom-auth": no Secret of that name in namespace istio-system']);
  });

  it('when an AlertProvider\'s Secret exists, then there is no error', async () => {
    const provider = fixture('alertprovider.yaml');
    delete provider.spec.address;
    provider.spec.secretRef = { name: 'slack-url' };
    const lookup = new MemoryLookup([obj('v1', 'Secret', 'slack-url', {}, 'flagger')]);
    expect((await checkAlertProviderAgainstCluster(provider, lookup, { secrets: 'check' })).errors).to.deep.equal([]);
    expect((await checkResourceAgainstCluster(provider, new MemoryLookup([]), { secrets: 'check' })).errors).to.have.length(1);
  });

  it('when Secrets are not to be read (the webhook\'s default), then no Secret is looked up and a warning says it was not checked', async () => {
    const template = fixture('metrictemplate.yaml');
    template.spec.provider.secretRef = { name: 'prom-auth' };
    const asked: string[] = [];
    const recording: ClusterLookup = {
      get: (ref) => (asked.push(ref.kind), Promise.reject(new Error('secrets "prom-auth" is forbidden'))),
      list: () => Promise.resolve({ items: [] }),
    };
    const result = await checkMetricTemplateAgainstCluster(template, recording);
    expect(asked).to.deep.equal([]);
    expect(result).to.deep.equal({
      errors: [],
      warnings: ['spec.provider.secretRef.name: Secret "prom-auth" is not looked up at admission (the webhook may not read Secrets); the stepper reports it when it is missing'],
    });
  });

  it('when the object is of another kind, then there is nothing to check', async () => {
    expect(await checkResourceAgainstCluster(obj('apps/v1', 'Deployment', 'x'), new MemoryLookup([]))).to.deep.equal({ errors: [], warnings: [] });
  });
});

describe('overlayLookup', () => {
  it('when a Deployment is given alongside the Canary, then it counts as existing', async () => {
    const lookup = overlayLookup(new MemoryLookup(world().slice(1)), [obj('apps/v1', 'Deployment', 'podinfo')]);
    expect((await checkCanaryAgainstCluster(fixture('canary-istio.yaml'), lookup)).errors).to.deep.equal([]);
  });

  it('when the input holds a newer version of a stored Canary, then list returns the input\'s only', async () => {
    const stored = obj('flagger.app/v1beta1', 'Canary', 'a', { spec: { old: true } });
    const given = obj('flagger.app/v1beta1', 'Canary', 'a', { spec: { old: false } });
    const { items } = await overlayLookup(new MemoryLookup([stored]), [given]).list('flagger.app/v1beta1', 'Canary', 'test');
    expect(items).to.deep.equal([given]);
  });
});

describe('cluster checks: the stepper\'s --allowed-hosts', () => {
  const cluster = (parseAddressPolicy('cluster') as { ok: true; policy: AddressPolicy }).policy;
  const loadTester = obj('v1', 'Service', 'flagger-loadtester');

  it('when a hook names name.namespace and that Service exists, then nothing is said; when it does not, then each such hook is warned of', async () => {
    const canary = fixture('canary-istio.yaml');
    const ok = await checkCanaryAgainstCluster(canary, new MemoryLookup([...world(), loadTester]), { addressPolicy: cluster });
    expect(ok.warnings.filter((w) => w.includes('will not call it'))).to.deep.equal([]);
    const missing = await checkCanaryAgainstCluster(canary, new MemoryLookup(world()), { addressPolicy: cluster });
    expect(missing.errors).to.deep.equal([]);
    expect(missing.warnings.filter((w) => w.includes('will not call it'))).to.deep.equal([0, 1].map((i) =>
      `spec.analysis.webhooks[${i}].url: host flagger-loadtester.test names no Service flagger-loadtester in namespace test, so it would resolve outside the cluster, ` +
      'which the stepper\'s --allowed-hosts (cluster) does not allow: the stepper will not call it, and this check fails until the address or the policy changes'));
  });

  it('when a MetricTemplate\'s address is an IP address, then a warning says the stepper will refuse it; without a policy, nothing is said', async () => {
    const template = { apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate', metadata: { name: 't', namespace: 'test' }, spec: { provider: { type: 'prometheus', address: 'http://169.254.169.254/' }, query: 'up' } };
    const warned = await checkMetricTemplateAgainstCluster(template, new MemoryLookup([]), { addressPolicy: cluster });
    expect(warned.warnings).to.deep.equal([
      'spec.provider.address: host 169.254.169.254 is not allowed by the stepper\'s --allowed-hosts (cluster): the stepper will not call it, and this check fails until the address or the policy changes',
    ]);
    expect((await checkMetricTemplateAgainstCluster(template, new MemoryLookup([]))).warnings).to.deep.equal([]);
  });

  it('when an AlertProvider\'s address or proxy is outside the stepper\'s --alert-hosts, then a warning names each; the default (*) says nothing', async () => {
    const slackOnly = (parseAddressPolicy('hooks.slack.com', undefined, '--alert-hosts') as { ok: true; policy: AddressPolicy }).policy;
    const provider = (spec: Record<string, unknown>): unknown => ({ apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata: { name: 'on-call', namespace: 'test' }, spec });
    const allowed = provider({ type: 'slack', address: 'https://hooks.slack.com/services/T/B/x' });
    expect((await checkResourceAgainstCluster(allowed, new MemoryLookup([]), { alertPolicy: slackOnly })).warnings).to.deep.equal([]);
    const refused = provider({ type: 'slack', address: 'http://169.254.169.254/latest', proxy: 'http://proxy.internal:3128' });
    expect((await checkResourceAgainstCluster(refused, new MemoryLookup([]), { alertPolicy: slackOnly })).warnings).to.deep.equal([
      'spec.address: host 169.254.169.254 is not allowed by the stepper\'s --alert-hosts (hooks.slack.com): the stepper will not post alerts through this AlertProvider until the address or the policy changes',
      'spec.proxy: host proxy.internal is not allowed by the stepper\'s --alert-hosts (hooks.slack.com): the stepper will not post alerts through this AlertProvider until the address or the policy changes',
    ]);
    const any = (parseAddressPolicy('*', undefined, '--alert-hosts') as { ok: true; policy: AddressPolicy }).policy;
    expect((await checkResourceAgainstCluster(refused, new MemoryLookup([]), { alertPolicy: any })).warnings).to.deep.equal([]);
  });
});
