// A held DaemonSet's leak (issue 11, finding 5): detected from the DaemonSet's status, reported
// once per change as an event and as the HoldLeaked condition, worded for analysis and for
// rollback, and cleared when no pod runs the held template any more.
import { expect } from 'chai';
import { observedLeak } from '../../../src/stepper/hold-leak.js';
import { observe } from '../../../src/simulate/cluster.js';
import { parseState, projectStatus, serializeState, step, type Observations, type State } from '../../../src/stepper/index.js';
import { canary, released } from './driver.js';

const daemonSetCanary = () => canary({}, { targetRef: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'podinfo' } });

/** A DaemonSet under analysis whose status shows `updated` nodes on the held template. */
function analysing(updated: number): { state: State; obs: Observations; spec: ReturnType<typeof daemonSetCanary>['spec']; now: Date } {
  const c = daemonSetCanary();
  const d = released(c, { kind: 'DaemonSet', replicas: 3 });
  const obs = observe(d.cluster);
  obs.target.readiness = { ...obs.target.readiness!, updated };
  return { state: d.state, obs, spec: c.spec, now: new Date(d.cluster.now) };
}

const eventsOf = (actions: readonly { kind: string }[]) =>
  actions.filter((a): a is { kind: 'event'; type: string; message: string } => a.kind === 'event').map((a) => `${a.type}: ${a.message}`);

describe('a held DaemonSet that leaks', () => {
  it('when a held DaemonSet runs no pod of the held template, then nothing is reported', () => {
    const { state, obs, spec, now } = analysing(0);
    expect(state.phase).to.equal('Progressing');
    expect(observedLeak(obs)).to.equal(undefined);
    const out = step(state, spec, obs, now);
    expect(out.state.holdLeak).to.equal(undefined);
    expect(eventsOf(out.actions).filter((e) => e.includes('is held but'))).to.deep.equal([]);
  });

  it('when a re-created pod runs the unanalysed template, then one Warning says so, the state records it and the status carries HoldLeaked', () => {
    const { state, obs, spec, now } = analysing(1);
    const out = step(state, spec, obs, now);
    expect(out.state.holdLeak).to.deep.equal({ revision: 'rev-2', pods: 1, desired: 3, since: now.toISOString() });
    expect(eventsOf(out.actions)).to.include(
      'Warning: DaemonSet podinfo.test is held but 1 of 3 pods run revision rev-2, not yet promoted: under OnDelete a deleted, evicted or new node\'s pod ' +
      'is created from the current template; promotion or a revert replaces them',
    );
    const condition = projectStatus(out.state, spec, now).conditions?.find((c) => c.type === 'HoldLeaked');
    expect(condition).to.include({ status: 'True', reason: 'UnanalysedRevisionRunning', lastTransitionTime: now.toISOString() });

    // The same observation again, due or not: nothing new to say.
    const again = step(out.state, spec, obs, now);
    expect(eventsOf(again.actions).filter((e) => e.includes('is held but'))).to.deep.equal([]);
    expect(again.state.holdLeak).to.deep.equal(out.state.holdLeak);
  });

  it('when the leak survives the state annotation, then it is read back as written', () => {
    const { state, obs, spec, now } = analysing(2);
    const out = step(state, spec, obs, now);
    const parsed = parseState(serializeState(out.state));
    expect(parsed.kind).to.equal('ok');
    expect(parsed.state.holdLeak).to.deep.equal({ revision: 'rev-2', pods: 2, desired: 3, since: now.toISOString() });
  });

  it('when the analysis rolled back and the pod still runs the failed revision, then the condition says so and names the undo', () => {
    const { state, obs, spec, now } = analysing(1);
    const failed: State = { ...state, phase: 'Failed', revision: 'rev-2' };
    const out = step(failed, spec, obs, now);
    const condition = projectStatus(out.state, spec, now).conditions?.find((c) => c.type === 'HoldLeaked');
    expect(condition?.reason).to.equal('RolledBackRevisionRunning');
    expect(condition?.message).to.match(/1 of 3 pods run the rolled-back revision rev-2: .*kubectl rollout undo daemonset\/podinfo/);
  });

  it('when the leaked pods are gone (a revert or promotion), then the record is cleared with one Normal event', () => {
    const leaking = analysing(1);
    const out = step(leaking.state, leaking.spec, leaking.obs, leaking.now);
    const cleared = { ...leaking.obs, target: { ...leaking.obs.target, held: false } };
    const after = step(out.state, leaking.spec, cleared, leaking.now);
    expect(after.state.holdLeak).to.equal(undefined);
    expect(eventsOf(after.actions)).to.include('Normal: DaemonSet podinfo.test: no pod runs revision rev-2 under the hold any more');
    expect(projectStatus(after.state, leaking.spec, leaking.now).conditions?.map((c) => c.type)).to.not.include('HoldLeaked');
  });

  it('when the status lags the template (observedGeneration behind), or the workload is a Deployment, then no leak is read', () => {
    const { obs } = analysing(1);
    expect(observedLeak({ ...obs, target: { ...obs.target, readiness: { ...obs.target.readiness!, observedGeneration: 1, generation: 2 } } })).to.equal(undefined);
    expect(observedLeak({ ...obs, target: { ...obs.target, kind: 'Deployment' } })).to.equal(undefined);
    expect(observedLeak(obs)).to.deep.equal({ revision: 'rev-2', pods: 1, desired: 3 });
  });
});
