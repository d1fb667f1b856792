// Random worlds: revisions pushed and reverted, copies and rollouts that stall, metrics that
// pass, fail or go silent, gates that say no, actions, suspension, deletion. Whatever happens,
// step never throws, weights stay in range, a replayed tick changes nothing, plan() covers every
// check step() consults, and phases only follow allowed transitions.
import { expect } from 'chai';
import fc from 'fast-check';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import type { Canary } from '../../../src/api/types.js';
import type { CheckResults, Observations } from '../../../src/stepper/observations.js';
import { apply, newCluster, observe, pushRevision, type SimCluster } from '../../../src/simulate/cluster.js';
import { failingValue, passingValue } from '../../../src/simulate/simulate.js';
import { ALLOWED_TRANSITIONS, freshState, type State } from '../../../src/stepper/state.js';
import { plan, step } from '../../../src/stepper/step.js';
import { canary, fixture } from './driver.js';

const gates = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion', 'rollback', 'pre-rollout', 'rollout'] as const;
const allHooks = gates.map((type) => ({ name: `h-${type}`, type, url: 'http://h/' }));
const metrics = [
  { name: 'request-success-rate', thresholdRange: { min: 99 } },
  { name: 'errors', query: 'q', thresholdRange: { max: 1 }, onNoData: 'hold' as const },
];

const specs: Canary[] = [
  fixture('podinfo-canary-osm.yaml'),
  fixture('podinfo-canary-keda-bluegreen.yaml'),
  canary({ threshold: 3, webhooks: allHooks, metrics, stepWeightPromotion: 15 }),
  canary({ iterations: 3, stepWeight: undefined, maxWeight: undefined, match: [{ headers: { x: { exact: 'y' } } }], metrics }, { provider: 'istio' }),
  canary({ mirror: true, stepWeight: undefined, maxWeight: undefined, stepWeights: [5, 20, 40], webhooks: allHooks }, { provider: 'istio' }),
  canary({ metrics }, { skipAnalysis: true, progressDeadlineSeconds: 20 }),
  canary({ stepWeight: undefined, maxWeight: undefined, stepWeights: [30, 10, 20] }, { provider: 'linkerd' }),
];

type Quality = 'good' | 'bad' | 'none' | 'error';
interface World {
  metrics: Quality;
  hooks: boolean;
  rollback: boolean;
}

type Command =
  | { kind: 'time'; ms: number }
  | { kind: 'revision'; revision: string }
  | { kind: 'world'; world: World }
  | { kind: 'copyStuck'; stuck: boolean }
  | { kind: 'rolloutStuck' }
  | { kind: 'action'; action: string }
  | { kind: 'suspend'; on: boolean }
  | { kind: 'target'; exists: boolean }
  | { kind: 'delete' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 90_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revision' as const), revision: fc.constantFrom('rev-1', 'rev-2', 'rev-3') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('world' as const),
      world: fc.record({ metrics: fc.constantFrom<Quality>('good', 'good', 'bad', 'none', 'error'), hooks: fc.boolean(), rollback: fc.boolean() }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('copyStuck' as const), stuck: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rolloutStuck' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('action' as const), action: fc.constantFrom('promote', 'abort', 'retry', 'pause', 'resume', 'bogus') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('suspend' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('target' as const), exists: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const }) },
);

function results(obsState: State, c: Canary, obs: Observations, now: Date, world: World): CheckResults {
  const checks = plan(obsState, c.spec, obs, now);
  const out: CheckResults = { hooks: {}, metrics: {} };
  for (const h of checks.hooks) out.hooks![h.name] = (h.type === 'rollback' ? world.rollback : world.hooks) ? { ok: true } : { ok: false, message: 'no' };
  for (const m of checks.metrics) {
    const bad = failingValue(m.metric);
    out.metrics![m.name] =
      world.metrics === 'good' ? { verdict: 'ok', query: 'q', value: passingValue(m.metric) }
      : world.metrics === 'bad' && bad !== undefined ? { verdict: 'ok', query: 'q', value: bad }
      : world.metrics === 'none' ? { verdict: 'noData', query: 'q', message: 'empty' }
      : { verdict: 'error', query: 'q', message: 'down' };
  }
  return out;
}

function change(cluster: SimCluster, c: Canary, cmd: Command, nonce: number): void {
  switch (cmd.kind) {
    case 'time': cluster.now += cmd.ms; return;
    case 'revision': pushRevision(cluster, cmd.revision); return;
    case 'copyStuck': cluster.copy.stuck = cmd.stuck; return;
    case 'rolloutStuck': if (cluster.target.rollout) cluster.target.rollout.stuck = !cluster.target.rollout.stuck; return;
    case 'action': cluster.action = { action: cmd.action, nonce: `n${nonce}`, by: 'prop' }; return;
    case 'suspend': c.spec.suspend = cmd.on; return;
    case 'target': cluster.target.exists = cmd.exists; return;
    case 'delete': cluster.canary.deletionTimestamp ??= new Date(cluster.now).toISOString(); return;
    case 'world': return;
  }
}

function checkInvariants(before: State, after: State, c: Canary): void {
  const a = effectiveAnalysis(c.spec);
  const { primary, canary: w } = after.routes;
  expect(primary + w).to.equal(100);
  expect(w).to.be.within(0, 100);
  const promoting = after.phase === 'Promoting' || after.phase === 'Finalising' || after.reason === 'PromotionFailed';
  if (a.strategy === 'canary' && !promoting) expect(w).to.be.at.most(a.maxWeight);
  for (const t of after.transitions) expect(ALLOWED_TRANSITIONS[t.from], `${t.from} -> ${t.to}`).to.include(t.to);
  if (before.phase === 'Terminating') expect(after.phase).to.equal('Terminating');
}

describe('stepper properties', () => {
  it('when observations change at random, then step never throws and every invariant holds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specs.keys()), fc.array(command, { maxLength: 60 }), (specIndex, commands) => {
        const c = structuredClone(specs[specIndex]!);
        const cluster = newCluster();
        let state = freshState();
        let world: World = { metrics: 'good', hooks: true, rollback: false };
        let nonce = 0;
        for (const cmd of commands) {
          if (cmd.kind === 'world') world = cmd.world;
          change(cluster, c, cmd, (nonce += 1));
          if (cluster.canary.gone) return;
          const now = new Date(cluster.now);
          const obs = observe(cluster);
          const full = { ...obs, results: results(state, c, obs, now, world) };
          const planned = plan(state, c.spec, obs, now);
          const out = step(state, c.spec, full, now);
          // The same input gives the same output (two steppers agree), and a replayed tick changes nothing.
          expect(step(state, c.spec, full, now)).to.deep.equal(out);
          const replay = step(out.state, c.spec, full, now);
          expect(replay.state).to.deep.equal(out.state);
          expect(replay.changed).to.equal(false);
          expect(replay.actions.filter((a) => a.kind === 'event')).to.deep.equal([]);
          // Unchanged means unchanged: a step that says so returns its input.
          if (!out.changed) expect(out.state).to.equal(state);
          // Every check step consulted was planned.
          const at = now.toISOString();
          const fresh = out.state.checks.filter((r) => r.at === at).length - state.checks.filter((r) => r.at === at).length;
          const consulted = fresh > 0 ? out.state.checks.slice(-fresh) : [];
          for (const r of consulted) {
            const names = r.kind === 'hook' ? planned.hooks.map((h) => h.name) : planned.metrics.map((m) => m.name);
            expect(names, `${r.kind} ${r.name}`).to.include(r.name);
          }
          checkInvariants(state, out.state, c);
          state = out.state;
          apply(cluster, out.actions);
        }
      }),
      { numRuns: 150 },
    );
  });
});
