// davy_stepper_step_lateness_seconds: how late a canary's periodic step ran after it came due
// (its lastStepAt plus its interval), observed once per step that ran at or after that time and
// recorded something. A periodic tick that changes nothing keeps the old clock (nothing is written),
// so measuring it would observe an ever larger lateness on every pass over a resting canary.
import { expect } from 'chai';
import { StepperMetrics } from '../../../src/telemetry/stepper-metrics.js';
import { pass, passUntil, phaseIs, setImage, splitWeight, stateOf, world } from './world.js';

const INTERVAL_MS = 30_000;

async function lateness(metrics: StepperMetrics): Promise<{ count: number; sum: number }> {
  const values = (await metrics.registry.getSingleMetric('davy_stepper_step_lateness_seconds')!.get()).values;
  const pick = (name: string) => values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
  return { count: pick('davy_stepper_step_lateness_seconds_count'), sum: pick('davy_stepper_step_lateness_seconds_sum') };
}

describe('runner: step lateness', () => {
  it('when a pass reaches an analysing canary 7 s after its step came due, then 7 s is observed, once', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    await setImage(w, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await passUntil(w, (x) => (splitWeight(x) ?? 0) >= 10, 50);
    await pass(w);
    w.deps.metrics = new StepperMetrics({ defaultMetrics: false });
    const due = Date.parse(stateOf(w).lastStepAt!) + INTERVAL_MS;
    w.clock.ms = due + 7_000;
    await pass(w);
    expect(await lateness(w.deps.metrics)).to.deep.equal({ count: 1, sum: 7 });
  });

  it('when a resting canary is passed over after its step came due, then nothing is observed: its tick recorded nothing', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    w.deps.metrics = new StepperMetrics({ defaultMetrics: false });
    w.clock.ms = Date.parse(stateOf(w).lastStepAt!) + INTERVAL_MS + 7_000;
    await pass(w);
    w.clock.ms += 10_000;
    await pass(w);
    expect(await lateness(w.deps.metrics)).to.deep.equal({ count: 0, sum: 0 });
  });

  it('when a pass comes before the step is due, then nothing is observed', async () => {
    const w = world();
    await passUntil(w, phaseIs('Initialized'), 20);
    w.deps.metrics = new StepperMetrics({ defaultMetrics: false });
    w.clock.ms = Date.parse(stateOf(w).lastStepAt!) + INTERVAL_MS - 1_000;
    await pass(w);
    expect(await lateness(w.deps.metrics)).to.deep.equal({ count: 0, sum: 0 });
  });
});
