// The stepper behind a fault-injecting proxy (issue 11): every tenth request to the apiserver gets,
// in turn, a 409, a 429 with Retry-After, a 500, no answer, or (for writes) the write applied and
// its answer lost. A blue/green rollout, a rollback and an A/B run (Gateway API, its HTTPRoute's
// header rule) still end in the right state, no iteration is taken twice and no event is lost or
// doubled: the state is written first and re-read, a step is decided once per written state, and
// Events are retried under one name and carried over.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, type CanaryObject } from './scenario.js';
import { eventually, type Managed } from '../harness/process.js';
import { FAULTS, FaultProxy, kubeconfigThrough, upstreamOf } from '../harness/fault-proxy.js';
import { startStepper } from '../harness/stepper.js';
import type { KubeObject } from '../../src/kube/client.js';

const NS = 'faults';
const image = (tag: string) => `ghcr.io/stefanprodan/podinfo:${tag}`;

const deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'podinfo', namespace: NS },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'podinfo' } },
    template: { metadata: { labels: { app: 'podinfo' } }, spec: { containers: [{ name: 'podinfod', image: image('6.0.0'), ports: [{ name: 'http', containerPort: 9898 }] }] } },
  },
} as KubeObject;

const canary = {
  apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace: NS },
  spec: {
    provider: 'kubernetes',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '2s', threshold: 1, iterations: 2, webhooks: [{ name: 'check', type: 'rollout', url: 'http://replaced/' }] },
  },
} as unknown as CanaryObject;

/** The A/B run: header `x-canary: insider` to the canary for two iterations, on the Gateway API. */
const abCanary = (namespace: string) => ({
  apiVersion: 'flagger.app/v1beta1', kind: 'Canary', metadata: { name: 'podinfo', namespace },
  spec: {
    provider: 'gatewayapi:v1',
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898, targetPort: 9898, hosts: ['podinfo.example.com'], gatewayRefs: [{ name: 'gateway', namespace: 'edge' }] },
    analysis: {
      interval: '2s', threshold: 1, iterations: 2,
      match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
      webhooks: [{ name: 'check', type: 'rollout', url: 'http://replaced/' }],
    },
  },
}) as unknown as CanaryObject;

interface RouteRule { matches?: { headers?: { name: string; value: string }[] }[]; backendRefs?: { name: string; weight?: number }[] }

const once = (events: string[], message: string): number => events.filter((e) => e === message).length;

describe('the stepper behind a fault-injecting proxy', function () {
  this.timeout(300_000);
  const scenario = new Scenario(NS, 'podinfo');
  let proxy: FaultProxy;
  let proxyUrl = '';
  let ca: Buffer;
  let stepper: Managed | undefined;
  const images = async () => [...new Set((await scenario.pods('app=podinfo')).map((p) => p.image))];
  const setImage = (tag: string) => e2e().cluster.kubectlOk(['-n', NS, 'set', 'image', 'deployment/podinfo', `podinfod=${image(tag)}`]);
  const phase = async (wanted: string) => eventually(`phase ${wanted}`, async () => ((await scenario.canary()).status?.phase === wanted ? true : undefined), 120_000, 500)
    .catch((error: Error) => {
      throw new Error(`${error.message}\ninjected: ${proxy.log.join('\n')}\nstepper:\n${stepper?.tail(60) ?? ''}`, { cause: error });
    });

  before(async () => {
    await scenario.setup();
    await scenario.apply([deployment]);
    await eventually('podinfo to run 2 pods', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 60_000, 500);
    await scenario.apply([scenario.shorten(canary, 2)]);
    const { cluster, prometheus, stateDir } = e2e();
    const certs = path.join(stateDir, 'webhook', 'certs');
    ca = fs.readFileSync(path.join(certs, 'ca.crt'));
    proxy = new FaultProxy({ ...upstreamOf(cluster.kubeconfig), cert: fs.readFileSync(path.join(certs, 'tls.crt')), key: fs.readFileSync(path.join(certs, 'tls.key')), every: 10, timeoutMs: 300 });
    proxyUrl = await proxy.start();
    const kubeconfig = kubeconfigThrough(scenario.kubeconfig, proxyUrl, ca, path.join(stateDir, 'stepper-faults.kubeconfig'));
    stepper = startStepper({
      kubeconfig, metricsServer: prometheus.url, namespaces: [NS], extraArgs: ['--poll-interval', '1s'], logFile: path.join(stateDir, 'stepper-faults.log'),
    });
  });
  after(async () => {
    await stepper?.stop();
    await proxy.stop();
    await scenario.teardown();
  });

  it('when a rollout and a rollback run through 409s, 429s, 500s, unanswered requests and lost answers, then each ends right with every event once', async () => {
    await phase('Initialized');
    await setImage('6.0.1');
    await phase('Succeeded');
    expect(await images()).to.deep.equal([image('6.0.1')]);

    scenario.receiver.answer('/check', 500);
    await setImage('6.0.2');
    await phase('Failed');
    expect(await images(), 'the rollback left the stable pods as they were').to.deep.equal([image('6.0.1')]);

    const last = 'Canary failed! Scaling down podinfo.faults';
    const events = await eventually('the rollback\'s events', async () => {
      const all = await scenario.events();
      return all.includes(last) ? all : undefined;
    }, 30_000, 500).catch(async (error: Error) => {
      throw new Error(`${error.message}\nevents:\n${(await scenario.events()).join('\n')}\ninjected:\n${proxy.log.join('\n')}`, { cause: error });
    });
    // Two runs: the promoted one, then the rolled-back one. In each, every step's event once.
    const second = events.lastIndexOf('New revision detected! Scaling up podinfo.faults');
    const [promoted, rolledBack] = [events.slice(0, second), events.slice(second)];
    const all = `${events.join('\n')}\ninjected:\n${proxy.log.join('\n')}`;
    for (const message of [
      'Initialization done! podinfo.faults', 'New revision detected! Scaling up podinfo.faults', 'Starting canary analysis for podinfo.faults',
      ...[1, 2].map((i) => `Advance podinfo.faults canary iteration ${i}/2`), 'Promotion completed! Scaling down podinfo.faults',
    ]) expect(once(promoted, message), `${message} in the promoted run\n${all}`).to.equal(1);
    for (const message of ['New revision detected! Scaling up podinfo.faults', 'Rolling back podinfo.faults failed checks threshold reached 1', last]) {
      expect(once(rolledBack, message), `${message} in the rolled-back run\n${all}`).to.equal(1);
    }
    expect(rolledBack.filter((m) => m.startsWith('Advance')).length, all).to.be.at.most(1);
    for (const fault of FAULTS) expect(proxy.injected[fault], `${fault} injected (${JSON.stringify(proxy.injected)} of ${proxy.requests})`).to.be.greaterThan(0);
    console.log(`      faults injected: ${JSON.stringify(proxy.injected)} in ${proxy.requests} requests`);
  });

  it('when an A/B run goes through the same faults, then the header rule alone reaches the canary and it is promoted with every event once', async () => {
    const ab = new Scenario(`${NS}-ab`, 'podinfo');
    let abStepper: Managed | undefined;
    const { cluster, prometheus, stateDir } = e2e();
    try {
      // Server-side and idempotent: the HTTPRoute CRD is too large for client-side apply.
      await cluster.kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', path.resolve(import.meta.dirname, '../fixtures/crds/gateway-api')]);
      await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/httproutes.gateway.networking.k8s.io']);
      await ab.setup();
      await ab.apply([{ ...deployment, metadata: { ...deployment.metadata, namespace: ab.namespace } }]);
      await eventually('podinfo to run 2 pods', async () => ((await ab.pods('app=podinfo')).length === 2 ? true : undefined), 60_000, 500);
      await ab.apply([ab.shorten(abCanary(ab.namespace), 2)]);
      abStepper = startStepper({
        kubeconfig: kubeconfigThrough(ab.kubeconfig, proxyUrl, ca, path.join(stateDir, 'stepper-faults-ab.kubeconfig')),
        metricsServer: prometheus.url, namespaces: [ab.namespace], extraArgs: ['--poll-interval', '1s'], logFile: path.join(stateDir, 'stepper-faults-ab.log'),
      });
      await ab.waitPhase('Initialized', 120_000);
      const requestsBefore = proxy.requests;
      await cluster.kubectlOk(['-n', ab.namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${image('6.0.1')}`]);
      const during = await eventually('the header rule to send to the canary', async () => {
        const route = await cluster.kube.get<KubeObject & { spec: { rules?: RouteRule[] } }>(
          { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ab.namespace, name: 'podinfo' });
        const [matched, rest] = route?.spec.rules ?? [];
        return matched?.backendRefs?.some((b) => b.name === 'podinfo-canary' && b.weight === 100) ? { matched, rest } : undefined;
      }, 120_000, 300);
      expect(during.matched?.matches?.[0]?.headers?.map((h) => [h.name, h.value])).to.deep.equal([['x-canary', 'insider']]);
      expect(during.rest?.backendRefs?.map((b) => [b.name, b.weight])).to.deep.equal([['podinfo-primary', 100]]);
      await ab.waitPhase('Succeeded', 120_000);
      expect((await ab.pods('app=podinfo')).every((p) => p.image === image('6.0.1'))).to.equal(true);

      const last = `Promotion completed! Scaling down podinfo.${ab.namespace}`;
      const events = await ab.eventsUntil(last);
      const all = `${events.join('\n')}\ninjected:\n${proxy.log.join('\n')}`;
      for (const message of [
        `New revision detected! Scaling up podinfo.${ab.namespace}`, `Starting canary analysis for podinfo.${ab.namespace}`,
        ...[1, 2].map((i) => `Advance podinfo.${ab.namespace} canary iteration ${i}/2`), last,
      ]) expect(once(events, message), `${message}\n${all}`).to.equal(1);
      expect(proxy.requests - requestsBefore, 'requests went through the proxy during the A/B run').to.be.greaterThan(10);
    } finally {
      // Stopped first, as Scenario.teardown stops its own: a stepper still running would put back
      // the finalizer that teardown drops, and finalize only as fast as the faults let it.
      await abStepper?.stop();
      await ab.teardown();
    }
  });
});
