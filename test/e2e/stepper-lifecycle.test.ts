// The stepper's lifecycle on the OSM tutorial's objects (issue 5): a newer revision mid-analysis
// restarts it; deleting the Canary mid-analysis leaves the user's Deployment serving and removes
// Davy's objects; a stepper killed right after each of its writes still converges; two steppers
// at once never advance a weight twice. The ladder is shortened to 10, 20, 30 to save time.
import path from 'node:path';
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example, recordChanges, trafficSplitWeight, type CanaryObject } from './scenario.js';
import { eventually } from '../harness/process.js';
import { stepOnce } from '../harness/stepper.js';
import type { KubeObject } from '../../src/kube/client.js';

const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };
const image = (tag: string) => `ghcr.io/stefanprodan/podinfo:${tag}`;

async function prepare(scenario: Scenario, startStepper = true, interval?: string): Promise<void> {
  await scenario.setup();
  await scenario.apply(example('podinfo-deployment.yaml'));
  await eventually('podinfo to run 2 replicas', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 90_000);
  e2e().exporter.shapeOsm('test', 'podinfo-canary', HEALTHY);
  const canary: CanaryObject = scenario.shorten(example('podinfo-canary-osm.yaml')[0]!);
  Object.assign(canary.spec.analysis, { stepWeight: 10, maxWeight: 30, ...(interval ? { interval } : {}) });
  await scenario.apply([canary]);
  if (startStepper) {
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);
  }
}

const setImage = (tag: string) => e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', `podinfod=${image(tag)}`]);

const advances = (events: string[]) => events.filter((e) => e.startsWith('Advance podinfo.test canary weight'));

describe('stepper lifecycle on the OSM tutorial objects', function () {
  this.timeout(600_000);
  let scenario: Scenario;
  beforeEach(() => {
    scenario = new Scenario('test', 'podinfo');
  });
  afterEach(async () => scenario.teardown());

  it('when a newer revision arrives mid-analysis, then the analysis restarts for it and promotes it', async () => {
    await prepare(scenario);
    await setImage('6.0.1');
    await eventually('weight 10', async () => (((await scenario.canary()).status?.canaryWeight ?? 0) >= 10 ? true : undefined), 120_000, 500);
    await setImage('6.0.2');
    await scenario.waitPhase('Succeeded', 300_000);
    const events = await scenario.events();
    expect(events, events.join('\n')).to.include('New revision detected! Restarting analysis for podinfo.test');
    const pods = await scenario.pods('app=podinfo');
    expect(pods.every((p) => p.image === image('6.0.2')), JSON.stringify(pods)).to.equal(true);
  });

  // Issue 15, item 3: the watches (src/runner/changes.ts), through the stepper's own RBAC from
  // deploy/. Without a running watch the resting canary is looked at again at its interval (60 s
  // here) or the poll (5 minutes): with the watch verb taken out of deploy/, this test fails.
  it('when the image of a resting canary changes, then the stepper\'s watch steps it at once, not at the next pass', async () => {
    await prepare(scenario, false, '60s');
    scenario.startStepper(['--poll-interval', '5m', '--resync-period', '5m']);
    await scenario.waitPhase('Initialized', 90_000);
    const changed = Date.now();
    await setImage('6.0.1');
    await scenario.waitPhase('Progressing', 30_000);
    console.log(`      new revision stepped ${((Date.now() - changed) / 1000).toFixed(1)} s after kubectl set image`);
  });

  it('when the Canary is deleted mid-analysis, then the Deployment keeps serving, rolls out as a plain Deployment, and Davy\'s objects are gone', async () => {
    await prepare(scenario);
    await setImage('6.0.1');
    await eventually('weight 10', async () => (((await scenario.canary()).status?.canaryWeight ?? 0) >= 10 ? true : undefined), 120_000, 500);
    await e2e().cluster.kubectlOk(['-n', 'test', 'delete', 'canary', 'podinfo', '--wait=false']);
    const { kube } = e2e().cluster;
    await eventually('the Canary to be gone', async () => ((await kube.get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: 'test', name: 'podinfo' })) ? undefined : true), 120_000, 500);

    const workload = await kube.get<KubeObject & { spec: { paused?: boolean } }>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'test', name: 'podinfo' });
    expect(Object.keys(workload!.metadata.labels ?? {}).filter((k) => k.startsWith('davy.dev/'))).to.deep.equal([]);
    expect(Object.keys(workload!.metadata.annotations ?? {}).filter((k) => k.startsWith('davy.dev/'))).to.deep.equal([]);
    expect(workload!.spec.paused ?? false).to.equal(false);
    await eventually('podinfo to roll out its template', async () => {
      const pods = await scenario.pods('app=podinfo');
      return pods.length >= 2 && pods.every((p) => p.image === image('6.0.1')) ? true : undefined;
    }, 90_000);
    for (const [apiVersion, kind, name] of [['apps/v1', 'Deployment', 'podinfo-canary'], ['v1', 'Service', 'podinfo-primary'], ['v1', 'Service', 'podinfo-canary'],
      ['split.smi-spec.io/v1alpha2', 'TrafficSplit', 'podinfo'], ['autoscaling/v2', 'HorizontalPodAutoscaler', 'podinfo-canary']] as const) {
      expect(await kube.get({ apiVersion, kind, namespace: 'test', name }), `${kind} ${name}`).to.equal(undefined);
    }
    // The apex Service is what clients call: it stays, selecting the user's pods, no longer Davy's.
    const apex = await kube.get<KubeObject & { spec: { selector: Record<string, string> } }>({ apiVersion: 'v1', kind: 'Service', namespace: 'test', name: 'podinfo' });
    expect(apex?.spec.selector).to.deep.equal({ app: 'podinfo' });
    expect(apex?.metadata.ownerReferences ?? []).to.deep.equal([]);
    expect(await kube.get({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: 'test', name: 'podinfo' })).to.not.equal(undefined);
  });

  it('when the Canary\'s namespace is deleted mid-analysis, then the stepper finalizes the Canary and the namespace goes', async () => {
    await prepare(scenario);
    await setImage('6.0.1');
    await eventually('weight 10', async () => (((await scenario.canary()).status?.canaryWeight ?? 0) >= 10 ? true : undefined), 120_000, 500);
    // The stepper keeps running: its finalizer must not hold the namespace (Events, for one, can no
    // longer be created in a namespace that is terminating).
    const { kube } = e2e().cluster;
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'test' }, { propagationPolicy: 'Background' });
    const gone = await eventually('the namespace to be gone', async () => ((await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'test' }))
      ? undefined : true), 90_000, 500).catch((error: Error) => error);
    expect(gone, `${String(gone)}\nstepper:\n${scenario.stepperLog()}`).to.equal(true);
  });

  it('when the stepper is killed right after each of its writes, then the rollout still ends promoted with no weight advanced twice', async () => {
    await prepare(scenario, false);
    const { stateDir, prometheus } = e2e();
    const options = {
      kubeconfig: scenario.kubeconfig, metricsServer: prometheus.url, namespaces: ['test'],
      extraArgs: ['--crash-after-writes', '1'], logFile: path.join(stateDir, 'stepper-crash.log'),
    };
    const watch = recordChanges(() => trafficSplitWeight('test', 'podinfo'));
    let runs = 0;
    let killed = 0;
    const until = async (phase: string) => {
      for (let i = 0; i < 400; i += 1) {
        const code = await stepOnce(options);
        runs += 1;
        if (code !== 0) killed += 1;
        if ((await scenario.canary()).status?.phase === phase) return;
        if (code === 0) await new Promise((r) => setTimeout(r, 1000)); // nothing to write: wait for the next step
      }
      throw new Error(`never reached ${phase} after ${runs} runs`);
    };
    let before: Awaited<ReturnType<Scenario['pods']>>;
    try {
      await until('Initialized');
      before = await scenario.pods('app=podinfo');
      await setImage('6.0.1');
      await until('Succeeded');
    } finally {
      watch.stop();
    }

    expect(killed).to.be.greaterThan(10);
    expect(watch.values.filter((w) => w > 0)).to.deep.equal([10, 20, 30]);
    const events = await scenario.events();
    expect(new Set(advances(events)).size).to.equal(advances(events).length, events.join('\n'));
    const after = await scenario.pods('app=podinfo');
    expect(after.every((p) => p.image === image('6.0.1'))).to.equal(true);
    expect(after.filter((p) => before.some((b) => b.uid === p.uid))).to.deep.equal([]);
    expect(new Set(after.map((p) => p.replicaSet)).size).to.equal(1);
  });

  it('when two steppers run at once over the same canary, then no weight is advanced twice', async () => {
    await prepare(scenario);
    scenario.startStepper(); // a second stepper over the same canary
    const watch = recordChanges(() => trafficSplitWeight('test', 'podinfo'));
    await setImage('6.0.1');
    await scenario.waitPhase('Succeeded', 300_000).finally(watch.stop);
    expect(watch.values.filter((w) => w > 0)).to.deep.equal([10, 20, 30]);
    const events = await scenario.events();
    expect(advances(events)).to.deep.equal([10, 20, 30].map((w) => `Advance podinfo.test canary weight ${w}`));
  });
});
