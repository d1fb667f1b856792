import { expect } from 'chai';
import { simulate } from '../../../src/simulate/index.js';
import { canary, fixture } from '../stepper/driver.js';

describe('stepper simulate', () => {
  it('when the OSM tutorial canary is simulated, then it promotes 12 intervals and one poll after the change, after 10 analysis steps', () => {
    const sim = simulate(fixture('podinfo-canary-osm.yaml'));
    expect(sim).to.include({ outcome: 'Succeeded', timeToPromotionMs: 12 * 30_000 + 5_000, analysisSteps: 10 });
    expect(sim.timeline[0]?.events).to.deep.equal(['New revision detected! Scaling up podinfo.test']);
    expect(sim.timeline.at(-1)?.events).to.include('Promotion completed! Scaling down podinfo.test');
  });

  it('when the OSM canary is simulated, then the worst-case rollback is a threshold of failed checks after the last analysis step', () => {
    const sim = simulate(fixture('podinfo-canary-osm.yaml'));
    expect(sim.worstCaseRollbackMs).to.equal(330_000 + 4 * 30_000);
  });

  it('when metrics fail from analysis step 3, then the timeline halts and rolls back after the threshold', () => {
    const sim = simulate(fixture('podinfo-canary-osm.yaml'), { failAt: 3 });
    expect(sim.outcome).to.equal('Failed');
    expect(sim.timeToPromotionMs).to.equal(undefined);
    const halts = sim.timeline.flatMap((e) => e.events).filter((e) => e.startsWith('Halt'));
    expect(halts).to.have.length(5);
    expect(sim.timeline.at(-1)?.events).to.include('Rolling back podinfo.test failed checks threshold reached 5');
    expect(sim.timeline.filter((e) => e.checks.some((c) => c.verdict === 'ok' && c.value !== undefined))).to.not.be.empty;
  });

  it('when the KEDA blue/green canary is simulated, then it takes 5 iterations of 15s, the switch, and one poll for the rollout', () => {
    const sim = simulate(fixture('podinfo-canary-keda-bluegreen.yaml'));
    expect(sim).to.include({ outcome: 'Succeeded', timeToPromotionMs: 110_000 });
    expect(sim.timeline.map((e) => e.routes.canary)).to.include(100);
  });

  it('when the same canary is simulated twice, then the timelines are identical (no clock, no randomness)', () => {
    const c = canary({ webhooks: [{ name: 'load', url: 'http://l/' }] });
    expect(simulate(c)).to.deep.equal(simulate(c));
    expect(simulate(c).timeline.some((e) => e.hooks.includes('rollout:load'))).to.equal(true);
  });
});
