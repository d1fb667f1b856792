// The operator's actions on a real canary (issue 6): davy retry / abort / pause / resume / promote
// write the action annotation; the stepper carries each out once, records who and when, and says
// so in an Event. The ladder is shortened to 10, 20, 30.
import { expect } from 'chai';
import { e2e } from './hooks.js';
import { Scenario, example, recordChanges, trafficSplitWeight, type CanaryObject } from './scenario.js';
import { eventually, runDavy } from '../harness/process.js';

const HEALTHY = { requestsPerSecond: 20, successRate: 1, latencyMs: 40 };

/** `davy ARGS` as a user runs it, with the admin kubeconfig. */
const davy = (...args: string[]) => runDavy(e2e().cluster.kubeconfig, ...args);

interface LastAction { action: string; by: string; at: string; outcome: string; nonce: string }
const lastAction = (c: CanaryObject): LastAction | undefined =>
  (JSON.parse(c.metadata.annotations?.['davy.dev/state'] ?? '{}') as { lastAction?: LastAction }).lastAction;

describe('operator actions on a real canary', function () {
  this.timeout(900_000);
  const scenario = new Scenario('test', 'podinfo');
  const setImage = (tag: string) => e2e().cluster.kubectlOk(['-n', 'test', 'set', 'image', 'deployment/podinfo', `podinfod=ghcr.io/stefanprodan/podinfo:${tag}`]);
  const weight = async () => (await scenario.canary()).status?.canaryWeight ?? 0;
  const handled = (action: string) => eventually(`the stepper to carry out ${action}`, async () => {
    const done = lastAction(await scenario.canary());
    return done?.action === action ? done : undefined;
  }, 60_000, 500);

  before(async () => {
    await scenario.setup();
    await scenario.apply(example('podinfo-deployment.yaml'));
    await eventually('podinfo to run 2 replicas', async () => ((await scenario.pods('app=podinfo')).length === 2 ? true : undefined), 90_000);
    e2e().exporter.shapeOsm('test', 'podinfo-canary', HEALTHY);
    const canary = scenario.shorten(example('podinfo-canary-osm.yaml')[0]!);
    Object.assign(canary.spec.analysis, { stepWeight: 10, maxWeight: 30 });
    await scenario.apply([canary]);
    scenario.startStepper();
    await scenario.waitPhase('Initialized', 90_000);
  });
  after(async () => scenario.teardown());

  it('when a failed revision is retried with healthy metrics, then the same revision is analysed again and promoted, and the retry is on record', async () => {
    e2e().exporter.shapeOsm('test', 'podinfo-canary', { ...HEALTHY, successRate: 0.5 });
    await setImage('6.0.1');
    await scenario.waitPhase('Failed', 300_000);
    const failedPods = await scenario.pods('app=podinfo');
    e2e().exporter.shapeOsm('test', 'podinfo-canary', HEALTHY);
    const cli = await davy('retry', 'podinfo', '-n', 'test');
    expect(cli.code, cli.out).to.equal(0);
    const record = await handled('retry');
    expect(record).to.include({ outcome: 'done' });
    expect(record.by).to.be.a('string').and.not.equal('');
    await scenario.waitPhase('Succeeded', 300_000);
    const pods = await scenario.pods('app=podinfo');
    expect(pods.every((p) => p.image.endsWith(':6.0.1'))).to.equal(true);
    expect(failedPods.every((p) => p.image.endsWith(':6.0.0'))).to.equal(true);
    // The step's Events follow its state write: wait for them rather than read once.
    await eventually('the retry event', async () => ((await scenario.events()).some((e) => e.startsWith(`Retry podinfo.test requested by ${record.by}`)) ? true : undefined), 30_000, 500);
  });

  it('when a progressing canary is paused, then its weight holds until resume, and promote skips the remaining steps', async () => {
    await setImage('6.0.2');
    await eventually('weight 10', async () => ((await weight()) >= 10 ? true : undefined), 120_000, 500);
    expect((await davy('pause', 'podinfo', '-n', 'test')).code).to.equal(0);
    await handled('pause');
    const held = await weight();
    const watch = recordChanges(() => trafficSplitWeight('test', 'podinfo'));
    await new Promise((r) => setTimeout(r, 25_000)); // two and a half intervals
    watch.stop();
    expect(watch.values).to.deep.equal([held]);
    expect((await davy('resume', 'podinfo', '-n', 'test')).code).to.equal(0);
    await handled('resume');
    expect((await davy('promote', 'podinfo', '-n', 'test')).code).to.equal(0);
    await handled('promote');
    await scenario.waitPhase('Succeeded', 120_000);
    expect((await scenario.pods('app=podinfo')).every((p) => p.image.endsWith(':6.0.2'))).to.equal(true);
  });

  it('when a progressing canary is aborted, then it rolls back at once and the user pods never change', async () => {
    const before = await scenario.pods('app=podinfo');
    await setImage('6.0.3');
    await eventually('weight 10', async () => ((await weight()) >= 10 ? true : undefined), 120_000, 500);
    expect((await davy('abort', 'podinfo', '-n', 'test')).code).to.equal(0);
    const record = await handled('abort');
    await scenario.waitPhase('Failed', 60_000);
    expect(await scenario.pods('app=podinfo')).to.deep.equal(before);
    expect(await scenario.eventsUntil('Canary failed! Scaling down podinfo.test')).to.include(`Rolling back podinfo.test: aborted by ${record.by}`);
  });
});
