// The OSM tutorial end to end (issue 5): podinfo with its HPA, the Canary from
// shared/examples with its names intact, SMI TrafficSplit weights 5..50, promotion by releasing the
// hold; and the same with a failing canary, which rolls back without touching the user's pods.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, decisions, example, inOrder, recordChanges, simulated, trafficSplitWeight, type PodSummary } from './scenario.js';
import { eventually } from '../harness/process.js';
import type { KubeObject } from '../../src/kube/client.js';

const NEW_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.1';
const OLD_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';
const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };

async function startOsmTutorial(scenario: Scenario, file = 'podinfo-canary-osm.yaml'): Promise<PodSummary[]> {
  await scenario.setup();
  await scenario.apply(example('podinfo-deployment.yaml'));
  await eventually('podinfo to run 2 replicas (HPA minimum)', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 90_000);
  e2e().exporter.shapeOsm('test', 'podinfo-canary', HEALTHY);
  e2e().exporter.shapeOsm('test', 'podinfo', HEALTHY);
  await scenario.apply([scenario.shorten(example(file)[0]!)]);
  scenario.startStepper();
  await scenario.waitPhase('Initialized', 90_000);
  return scenario.pods('app=podinfo');
}

describe('stepper: the OSM tutorial (podinfo, HPA, TrafficSplit), names intact', function () {
  this.timeout(600_000);
  let scenario: Scenario;
  afterEach(async () => scenario.teardown());

  it('when kubectl set image runs, then the weights go 5..50, the hold is released, the pods are replaced once, and the events match the tutorial', async () => {
    scenario = new Scenario('test', 'podinfo');
    const before = await startOsmTutorial(scenario);
    const watch = recordChanges(() => trafficSplitWeight('test', 'podinfo'));
    const pushed = Date.now();
    await e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);
    await scenario.waitPhase('Succeeded', 420_000).finally(watch.stop);
    const took = Date.now() - pushed;

    expect(watch.values.filter((w) => w > 0)).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    const after = await scenario.pods('app=podinfo');
    expect(after.every((p) => p.image === NEW_IMAGE), JSON.stringify(after)).to.equal(true);
    expect(after.filter((p) => before.some((b) => b.uid === p.uid))).to.deep.equal([]);
    expect(new Set(after.map((p) => p.replicaSet)).size).to.equal(1, 'one new ReplicaSet: the pods were replaced once');
    const copy = await e2e().cluster.kube.get<KubeObject & { spec: { replicas: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'podinfo-canary' });
    expect(copy?.spec.replicas).to.equal(0);

    const events = await scenario.eventsUntil('Promotion completed! Scaling down podinfo.test');
    expect(inOrder(events, [
      'New revision detected! Scaling up podinfo.test',
      'Pre-rollout check acceptance-test passed',
      ...[5, 10, 15, 20, 25, 30, 35, 40, 45, 50].map((w) => `Advance podinfo.test canary weight ${w}`),
      'Promotion completed! Scaling down podinfo.test',
    ]), events.join('\n')).to.equal(true);
    expect(scenario.receiver.calls.map((c) => c.path)).to.include.members(['/acceptance-test', '/load-test']);

    // davy simulate, run on the same Canary, predicts the same decisions and a lower bound of the time.
    const sim = simulated(await scenario.canary());
    expect(decisions(events)).to.deep.equal(sim.events);
    expect(took).to.be.at.least(sim.timeToPromotionMs! - 1000);
  });

  it('when the canary answers 60% success, then it halts and rolls back after 5 failed checks, and the user pods never change', async () => {
    scenario = new Scenario('test', 'podinfo');
    const before = await startOsmTutorial(scenario);
    e2e().exporter.shapeOsm('test', 'podinfo-canary', { ...HEALTHY, successRate: 0.6 });
    await e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);
    const failed = await scenario.waitPhase('Failed', 300_000);

    expect(await scenario.pods('app=podinfo')).to.deep.equal(before);
    expect(before.every((p) => p.image === OLD_IMAGE)).to.equal(true);
    const events = await scenario.eventsUntil('Canary failed! Scaling down podinfo.test');
    expect(events.some((e) => /^Halt podinfo\.test advancement success rate 6\d\.\d\d% < 99%$/.test(e)), events.join('\n')).to.equal(true);
    expect(events).to.include('Rolling back podinfo.test failed checks threshold reached 5');
    expect(events).to.include('Canary failed! Scaling down podinfo.test');
    const state = JSON.parse(failed.metadata.annotations!['davy.dev/state']!) as { checks?: { metric?: string; name?: string; value?: number; verdict: string }[] };
    const rates = (state.checks ?? []).filter((c) => (c.metric ?? c.name) === 'request-success-rate' && c.value !== undefined);
    expect(rates.length).to.be.greaterThan(0);
    expect(rates.every((c) => c.value! > 55 && c.value! < 65), JSON.stringify(rates)).to.equal(true);
  });

  it('when the 404s custom metric is over its threshold, then the canary rolls back with that metric in the events', async () => {
    scenario = new Scenario('test', 'podinfo');
    await startOsmTutorial(scenario, 'podinfo-canary-osm-404s.yaml');
    e2e().exporter.shapeOsm('test', 'podinfo-canary', { ...HEALTHY, notFoundRate: 0.06 });
    await e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', `podinfod=${NEW_IMAGE}`]);
    await scenario.waitPhase('Failed', 300_000);
    const events = await scenario.events();
    expect(events.some((e) => /^Halt podinfo\.test advancement 404s percentage \d+\.\d\d > 3$/.test(e)), events.join('\n')).to.equal(true);
  });
});
