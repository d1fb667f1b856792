import { expect } from 'chai';
import { intent } from '../../../src/stepper/actions.js';
import type { CheckResults } from '../../../src/stepper/observations.js';
import { apply, newCluster, observe, pushRevision } from '../../../src/simulate/cluster.js';
import { passingValue } from '../../../src/simulate/simulate.js';
import { freshState, type State } from '../../../src/stepper/state.js';
import { plan, step } from '../../../src/stepper/step.js';
import { canary, fixture, released, toEnd } from './driver.js';

describe('stepper plan', () => {
  it('when the first analysis tick comes, then plan asks for the pre-rollout hooks only', () => {
    const c = fixture('podinfo-canary-osm.yaml');
    const d = released(c);
    const checks = plan(d.state, c.spec, observe(d.cluster), new Date(d.cluster.now + 30_000));
    expect(checks.hooks.map((h) => [h.type, h.name, h.phase])).to.deep.equal([['pre-rollout', 'acceptance-test', 'Progressing']]);
    expect(checks.metrics).to.deep.equal([]);
  });

  it('when a later analysis tick comes, then plan asks for rollout hooks and every metric', () => {
    const c = fixture('podinfo-canary-osm.yaml');
    const d = released(c);
    d.advance();
    const checks = plan(d.state, c.spec, observe(d.cluster), new Date(d.cluster.now + 30_000));
    expect(checks.hooks.map((h) => h.name)).to.deep.equal(['load-test']);
    expect(checks.metrics.map((m) => m.name)).to.deep.equal(['request-success-rate', 'request-duration']);
    expect(checks.hooks[0]?.checksum).to.match(/^[0-9a-f]{16}$/);
  });

  it('when the tick is not due, then plan asks for nothing', () => {
    const c = fixture('podinfo-canary-osm.yaml');
    const d = released(c);
    d.advance();
    expect(plan(d.state, c.spec, observe(d.cluster), new Date(d.cluster.now + 5_000))).to.deep.equal({ hooks: [], metrics: [] });
  });

  it('when rollback and confirm gates exist, then plan lists them with the phase each payload carries', () => {
    const webhooks = ['confirm-rollout', 'rollback', 'confirm-traffic-increase'].map((type) => ({ name: type, type: type as 'rollback', url: 'http://x/' }));
    const c = canary({ webhooks });
    const d = released(c);
    d.advance();
    const checks = plan(d.state, c.spec, observe(d.cluster), new Date(d.cluster.now + 10_000));
    expect(checks.hooks.map((h) => `${h.name}@${h.phase}`)).to.deep.equal(['rollback@Progressing', 'confirm-traffic-increase@Progressing']);
  });

  it('when step needs a result the runner did not give, then that check fails closed', () => {
    const c = canary({ threshold: 1, metrics: [{ name: 'errors', query: 'q', thresholdRange: { max: 1 } }] });
    const d = released(c);
    d.advance();
    const out = step(d.state, c.spec, { ...observe(d.cluster), results: {} }, new Date(d.cluster.now + 10_000));
    expect(out.state).to.include({ phase: 'Failed', failedChecks: 1 });
    expect(out.state.checks.at(-1)).to.include({ name: 'errors', verdict: 'error' });
  });
});

describe('stepper intent', () => {
  const spec = canary().spec;
  const base = (over: Partial<State>): State => ({ ...freshState(), phase: 'Progressing', revision: 'r2', stableRevision: 'r1', ...over });

  it('when progressing at 20%, then the copy runs the revision at full size and routes are 80/20', () => {
    expect(intent(base({ copy: 'up', routes: { primary: 80, canary: 20, mirror: false } }), spec)).to.deep.equal([
      { kind: 'addFinalizer' },
      { kind: 'bootstrap' },
      { kind: 'recordStableRevision', revision: 'r1' },
      { kind: 'syncCopy', revision: 'r2' },
      { kind: 'scaleCopy', replicas: 'match-target' },
      { kind: 'setRoutes', primary: 80, canary: 20, mirror: false },
    ]);
  });

  it('when promoting, then the hold is released after the routes; once rolled out, no more', () => {
    const promoting = intent(base({ phase: 'Promoting', copy: 'up' }), spec).map((a) => a.kind);
    expect(promoting.slice(-2)).to.deep.equal(['setRoutes', 'releaseHold']);
    expect(intent(base({ phase: 'Promoting', copy: 'up', rolledOut: true }), spec).map((a) => a.kind)).to.not.include('releaseHold');
  });

  it('when failed, then traffic is on primary before the copy scales to zero', () => {
    const kinds = intent(base({ phase: 'Failed', copy: 'zero' }), spec).map((a) => a.kind);
    expect(kinds.slice(-2)).to.deep.equal(['setRoutes', 'scaleCopy']);
  });

  it('when terminating, suspended or new, then intent is finalize, nothing, nothing', () => {
    expect(intent(base({ phase: 'Terminating' }), spec)).to.deep.equal([{ kind: 'finalize' }]);
    expect(intent(base({}), { ...spec, suspend: true })).to.deep.equal([]);
    expect(intent(freshState(), spec)).to.deep.equal([]);
  });

  it('when hooks and alerts are undelivered, then intent carries them until the runner reports them', () => {
    const d = toEnd(released(canary({ webhooks: [{ name: 'notify', type: 'post-rollout', url: 'http://n/' }] })));
    expect(intent(d.state, spec).filter((a) => a.kind === 'callHook' || a.kind === 'alert')).to.have.length(2);
    d.advance();
    expect(d.state.outbox).to.deep.equal([]);
  });
});

describe('stepper crash safety', () => {
  /** A runner that re-applies intent every pass and crashes after writing the state on every `crashEvery`-th step. */
  function rollout(crashEvery: number) {
    const c = fixture('podinfo-canary-osm.yaml');
    const cluster = newCluster();
    let state = freshState();
    const weights: number[] = [];
    let due = cluster.now;
    for (let i = 0; i < 200 && state.phase !== 'Succeeded'; i += 1) {
      cluster.now = Math.max(due, cluster.now + 1000);
      apply(cluster, intent(state, c.spec));
      if (state.phase === 'Initialized' && cluster.target.template === 'rev-1') pushRevision(cluster, 'rev-2');
      const obs = observe(cluster);
      const checks = plan(state, c.spec, obs, new Date(cluster.now));
      const results: CheckResults = { hooks: {}, metrics: {} };
      for (const h of checks.hooks) results.hooks![h.name] = { ok: true };
      for (const m of checks.metrics) results.metrics![m.name] = { verdict: 'ok', query: 'q', value: passingValue(m.metric) };
      const out = step(state, c.spec, { ...obs, results }, new Date(cluster.now));
      if (out.state.routes.canary !== state.routes.canary) weights.push(out.state.routes.canary);
      state = out.state;
      due = Date.parse(out.due);
      if (i % crashEvery !== crashEvery - 1) apply(cluster, out.actions);
    }
    apply(cluster, intent(state, c.spec)); // the next pass repairs a crash after the last write
    return { state, cluster, weights };
  }

  for (const [crashEvery, when] of [[2, 'after every 2nd state write'], [3, 'after every 3rd state write'], [1000, 'never']] as const) {
    it(`when the runner dies ${when}, then the rollout ends the same, no weight advanced twice`, () => {
      const { state, cluster, weights } = rollout(crashEvery);
      expect(state.phase).to.equal('Succeeded');
      expect(weights).to.deep.equal([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 0]);
      expect(cluster.target).to.include({ pods: 'rev-2', stableAnnotation: 'rev-2', held: false });
      expect(cluster.copy.replicas).to.equal(0);
      expect(cluster.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
    });
  }
});
