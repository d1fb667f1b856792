// The KEDA blue/green tutorial end to end (issue 5): provider kubernetes, a ScaledObject, 5
// iterations; traffic moves by an atomic selector switch of the apex Service podinfo-svc, and Davy
// generates the canary's ScaledObject with its query rewritten to the copy.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, decisions, example, inOrder, simulated } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';

interface Service extends KubeObject {
  spec: { selector?: Record<string, string> };
}

describe('stepper: the KEDA blue/green tutorial (provider kubernetes, ScaledObject), names intact', function () {
  this.timeout(600_000);
  let scenario: Scenario;
  afterEach(async () => scenario.teardown());

  it('when a new image is set, then iterations 1/5..5/5 run, the apex selector switches to the copy and back, and the release is promoted', async () => {
    scenario = new Scenario('test', 'podinfo');
    await scenario.setup();
    // The tutorial scales podinfo with the ScaledObject, not the HPA of podinfo-deployment.yaml.
    const [deployment] = example('podinfo-deployment.yaml');
    await scenario.apply([deployment!, ...example('podinfo-scaledobject.yaml')]);
    await eventually('podinfo to run', async () => ((await scenario.pods('app=podinfo')).length >= 1 ? true : undefined), 60_000);
    const healthy = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };
    e2e().exporter.shapeHttp('test', 'podinfo-canary-5f7c9d8b6-x2k4p', healthy);
    await scenario.apply([scenario.shorten(example('podinfo-canary-keda-bluegreen.yaml')[0]!)]);
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);

    const selectors: string[] = [];
    const timer = setInterval(() => {
      void e2e().cluster.kube.get<Service>({ apiVersion: 'v1', kind: 'Service', namespace: 'test', name: 'podinfo-svc' }).then((svc) => {
        const app = svc?.spec.selector?.app;
        if (app && selectors.at(-1) !== app) selectors.push(app);
      }, () => undefined);
    }, 300);
    await e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', 'podinfod=ghcr.io/stefanprodan/podinfo:6.0.1']);
    await scenario.waitPhase('Succeeded', 300_000).finally(() => clearInterval(timer));

    expect(selectors).to.deep.equal(['podinfo', 'podinfo-canary', 'podinfo']);
    const events = await scenario.eventsUntil('Promotion completed! Scaling down podinfo.test');
    expect(inOrder(events, [1, 2, 3, 4, 5].map((i) => `Advance podinfo.test canary iteration ${i}/5`)), events.join('\n')).to.equal(true);
    const copy = await e2e().cluster.kube.get<KubeObject & { spec: { scaleTargetRef: { name: string }; triggers: { metadata: { query: string } }[] } }>(
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', namespace: 'test', name: 'podinfo-so-canary' });
    expect(copy?.spec.scaleTargetRef.name).to.equal('podinfo-canary');
    expect(copy?.spec.triggers[0]?.metadata.query).to.include('app="podinfo-canary"');
    expect((await scenario.pods('app=podinfo')).every((p) => p.image.endsWith(':6.0.1'))).to.equal(true);
    // davy simulate, run on the same Canary, predicts the same decisions.
    expect(decisions(events)).to.deep.equal(simulated(await scenario.canary()).events);
  });
});
