import { expect } from 'chai';
import type { HookCheck } from '../../../src/stepper/checks.js';
import { freshState, isResting } from '../../../src/stepper/state.js';
import { intent } from '../../../src/stepper/actions.js';
import { nextStepAt, step } from '../../../src/stepper/step.js';
import { observe } from '../../../src/simulate/cluster.js';
import { canary, events, eventsFrom, initialized, released, toEnd, warnings } from './driver.js';

const gate = (type: HookCheck['type'], extra: Record<string, unknown> = {}) => ({ name: 'gate', type, url: 'http://gate/', ...extra });

describe('stepper gates', () => {
  it('when confirm-rollout says no, then the canary waits (one event, one alert) and starts once it says yes', () => {
    const asked: string[] = [];
    const c = canary({ webhooks: [gate('confirm-rollout')] });
    const d = released(c, { hook: (check, m) => (asked.push(check.phase), m.step < 5 ? { ok: false, message: 'closed' } : undefined) });
    expect(d.state.phase).to.equal('Waiting');
    d.runUntil((s) => s.phase === 'Progressing');
    expect(asked[0]).to.equal('Initialized');
    expect(asked.slice(1).every((p) => p === 'Waiting')).to.equal(true);
    expect(warnings(d)).to.deep.equal(['Halt podinfo.test advancement waiting for approval gate']);
    expect(d.cluster.log.alerts.filter((a) => a.message === 'Canary is waiting for approval.')).to.have.length(1);
    expect(eventsFrom(d, 'Confirm-rollout')).to.deep.equal(['Confirm-rollout check gate passed', 'New revision detected! Scaling up podinfo.test']);
    expect(d.cluster.copy.replicas).to.be.greaterThan(0);
  });

  it('when a confirm gate mutes alerts, then waiting raises no alert', () => {
    const d = released(canary({ webhooks: [gate('confirm-rollout', { muteAlert: true })] }), { hook: () => ({ ok: false, message: 'closed' }) });
    d.advance();
    expect(d.cluster.log.alerts.map((a) => a.message)).to.not.include('Canary is waiting for approval.');
  });

  it('when confirm-traffic-increase says no, then the weight holds and advances once it says yes', () => {
    const c = canary({ webhooks: [gate('confirm-traffic-increase')] });
    const d = released(c, { hook: (_, m) => (m.state.routes.canary === 10 && m.step < 12 ? { ok: false, message: 'closed' } : undefined) });
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(warnings(d)).to.deep.equal(['Halt podinfo.test advancement waiting for traffic increase approval gate']);
    const stream = events(d).filter((e) => e.startsWith('Advance') || e.startsWith('Confirm'));
    expect(stream).to.deep.equal([
      'Confirm-traffic-increase check gate passed',
      'Advance podinfo.test canary weight 10',
      'Confirm-traffic-increase check gate passed',
      'Advance podinfo.test canary weight 20',
      'Confirm-traffic-increase check gate passed',
      'Advance podinfo.test canary weight 30',
    ]);
  });

  it('when confirm-promotion says no, then WaitingPromotion keeps analysing and failed checks can still roll back', () => {
    const c = canary({ threshold: 2, webhooks: [gate('confirm-promotion')], metrics: [{ name: 'errors', query: 'q', thresholdRange: { max: 1 } }] });
    const d = released(c, {
      hook: () => ({ ok: false, message: 'closed' }),
      metric: (check, m) => (m.state.phase === 'WaitingPromotion' && m.state.iterations === 0 && m.step > 12 ? { verdict: 'ok', query: 'q', value: 5 } : undefined),
    });
    d.runUntil((s) => s.phase === 'WaitingPromotion');
    expect(d.state.routes.canary).to.equal(30);
    expect(warnings(d)).to.include('Halt podinfo.test advancement waiting for promotion approval gate');
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'FailedChecksThreshold' });
    expect(d.timeline.filter((e) => e.phase === 'WaitingPromotion').every((e) => e.checks.length === 1)).to.equal(true);
  });

  it('when confirm-promotion says yes after waiting, then the canary promotes', () => {
    const c = canary({ webhooks: [gate('confirm-promotion')] });
    const d = toEnd(released(c, { hook: (_, m) => (m.state.phase === 'WaitingPromotion' && m.step > 10 ? { ok: true } : { ok: false, message: 'closed' }) }));
    expect(d.state.phase).to.equal('Succeeded');
    expect(events(d)).to.include('Confirm-promotion check gate passed');
  });
});

describe('stepper lifecycle', () => {
  it('when a newer revision arrives mid-analysis, then the analysis restarts at once for it, without confirm-rollout', () => {
    const confirms: string[] = [];
    const c = canary({ webhooks: [gate('confirm-rollout')] });
    const d = released(c, { hook: (check) => (confirms.push(check.phase), undefined) });
    d.runUntil((s) => s.routes.canary === 20);
    d.wait(2000);
    d.pushRevision('rev-3');
    d.stepNow();
    expect(events(d).at(-1)).to.equal('New revision detected! Restarting analysis for podinfo.test');
    expect(d.state).to.include({ phase: 'Progressing', revision: 'rev-3', failedChecks: 0, iterations: 0, analysisStarted: false });
    expect(d.state.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
    expect(d.cluster.copy.revision).to.equal('rev-3');
    toEnd(d);
    expect(d.cluster.target.pods).to.equal('rev-3');
    expect(confirms).to.have.length(1);
  });

  it('when the user reverts to the stable revision mid-analysis, then the run is cancelled with no pod churn', () => {
    const d = released(canary());
    d.runUntil((s) => s.routes.canary === 20);
    d.wait(2000);
    d.pushRevision('rev-1');
    d.stepNow();
    expect(d.state).to.include({ phase: 'Initialized', reason: 'Reverted', revision: 'rev-1', copy: 'zero' });
    expect(events(d).at(-1)).to.equal('podinfo.test was reverted to its stable revision rev-1: the analysis of revision rev-2 is cancelled');
    expect(d.cluster.target).to.include({ pods: 'rev-1', held: false });
    expect(d.cluster.routes?.canary).to.equal(0);
    expect(d.cluster.copy.replicas).to.equal(0);
  });

  it('when a canary that promoted before is reverted mid-analysis, then it rests in Succeeded', () => {
    const d = toEnd(released(canary()));
    d.wait(1000);
    d.pushRevision('rev-3');
    d.stepNow();
    d.advance();
    d.pushRevision('rev-2');
    d.stepNow();
    expect(d.state).to.include({ phase: 'Succeeded', reason: 'Reverted', stableRevision: 'rev-2' });
  });

  it('when a failed revision is reverted, then the canary leaves Failed and the hold is gone', () => {
    const c = canary({ metrics: [{ name: 'errors', query: 'q', thresholdRange: { max: 1 } }] });
    const d = toEnd(released(c, { metric: () => ({ verdict: 'error', query: 'q', message: 'down' }) }));
    expect(d.state.phase).to.equal('Failed');
    d.pushRevision('rev-1');
    d.stepNow();
    expect(d.state).to.include({ phase: 'Initialized', reason: 'Reverted' });
    expect(d.cluster.target.held).to.equal(false);
  });

  it('when a tracked ConfigMap changes, then the same template is analysed again and its checksums become stable', () => {
    const d = initialized(canary());
    d.cluster.configs = { 'configmap/podinfo': 'new' };
    d.stepNow();
    expect(d.state).to.include({ phase: 'Progressing', revision: 'rev-1' });
    toEnd(d);
    expect(d.state.stableConfigs).to.deep.equal({ 'configmap/podinfo': 'new' });
  });

  it('when the workload is not held by Davy, then the run warns that its pods may already run the revision', () => {
    const d = initialized(canary());
    d.pushRevision('rev-2');
    d.cluster.target.held = false;
    d.stepNow();
    expect(warnings(d)).to.include('podinfo.test is not held by Davy: its pods may already run revision rev-2 without analysis');
  });

  it('when suspended mid-analysis, then nothing moves and one event says so; unsuspended, it goes on', () => {
    const c = canary();
    const d = released(c);
    d.runUntil((s) => s.routes.canary === 10);
    c.spec.suspend = true;
    for (let i = 0; i < 5; i += 1) d.advance();
    expect(d.state.routes.canary).to.equal(10);
    expect(events(d).filter((e) => e === 'skipping canary run as object is suspended')).to.have.length(1);
    c.spec.suspend = false;
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
  });

  it('when a step is not due and nothing is new, then it returns the same state, unchanged, with the recorded intent to re-apply', () => {
    const d = released(canary());
    d.advance();
    const now = new Date(d.cluster.now);
    const obs = observe(d.cluster);
    for (const at of [now, new Date(now.getTime() + 5000)]) {
      const again = step(d.state, canary().spec, obs, at);
      expect(again.state).to.equal(d.state);
      expect(again.changed).to.equal(false);
      expect(again.actions).to.deep.equal(intent(d.state, canary().spec));
      expect(again.due).to.equal(new Date(now.getTime() + 10_000).toISOString());
    }
  });

  it('when a resting canary\'s interval has passed, then its step is unchanged: the clock alone does not call for a write', () => {
    const d = initialized(canary());
    d.advance(); // the outbox's deliveries taken in
    const before = d.state;
    const later = new Date(Date.parse(before.lastStepAt!) + 35_000);
    const { delivered: _none, ...obs } = observe(d.cluster);
    const out = step(before, canary().spec, obs, later);
    expect(out.changed).to.equal(false);
    expect(out.state).to.equal(before);
    expect(out.actions).to.deep.equal(intent(before, canary().spec));
    expect(out.due).to.equal(new Date(later.getTime() + 10_000).toISOString());
  });

  it('when a step decides something, then it says changed, moves the clock and says when the next step is due', () => {
    const d = initialized(canary());
    d.pushRevision('rev-2');
    const now = new Date(Date.parse(d.state.lastStepAt!) + 1000);
    const out = step(d.state, canary().spec, observe(d.cluster), now);
    expect(out.changed).to.equal(true);
    expect(out.state.phase).to.equal('Progressing');
    expect(out.state.lastStepAt).to.equal(now.toISOString());
    expect(out.due).to.equal(new Date(now.getTime() + 10_000).toISOString());
    expect(nextStepAt(out.state, canary().spec, 'test')).to.equal(out.due);
    expect(out.actions.some((a) => a.kind === 'event')).to.equal(true);
  });

  it('when the phase rests or the state is new, then isResting and nextStepAt say so', () => {
    expect(['Initialized', 'Succeeded', 'Failed', 'Progressing', 'Initializing', ''].map(isResting)).to.deep.equal([true, true, true, false, false, false]);
    expect(nextStepAt(freshState(), canary().spec, 'test')).to.equal(undefined);
  });

  it('when the state annotation was corrupt, then the step says so, recovers the stable revision from the workload and takes up the pending one', () => {
    const d = initialized(canary());
    d.pushRevision('rev-2');
    d.wait(1000);
    const out = step(freshState('not JSON: Unexpected token'), canary().spec, observe(d.cluster), new Date(d.cluster.now));
    expect(out.state).to.include({ phase: 'Progressing', stableRevision: 'rev-1', revision: 'rev-2' });
    expect(out.state.transitions.map((t) => t.to)).to.deep.equal(['Initializing', 'Initialized', 'Progressing']);
    expect(out.state.recoveredFrom).to.equal(undefined);
    expect(out.actions.filter((a) => a.kind === 'event').map((a) => (a.kind === 'event' ? a.message : ''))[0]).to.equal(
      'The state annotation of podinfo.test was unreadable (not JSON: Unexpected token): re-initialising from the cluster',
    );
  });
});

describe('stepper deletion', () => {
  it('when a Canary is deleted mid-analysis, then Davy finalizes, releases the hold and removes its finalizer', () => {
    const d = released(canary());
    d.runUntil((s) => s.routes.canary === 20);
    d.remove();
    d.stepNow();
    expect(d.state.phase).to.equal('Terminating');
    expect(eventsFrom(d, 'Terminating')).to.deep.equal([
      'Terminating canary podinfo.test',
      'Releasing the hold on podinfo.test: it rolls out revision rev-2 with its own strategy',
    ]);
    expect(d.cluster.routes).to.equal(undefined);
    expect(d.cluster.copy.exists).to.equal(false);
    d.advance();
    expect(events(d).at(-1)).to.equal('Terminated canary podinfo.test');
    expect(d.cluster.canary.gone).to.equal(true);
    expect(d.cluster.target).to.include({ labeled: false, held: false });
    d.wait(60_000);
    d.advance();
    expect(d.cluster.target.pods).to.equal('rev-2');
  });

  it('when finalization never completes, then the finalizer is removed at the deadline with a warning', () => {
    const d = initialized(canary({}, { progressDeadlineSeconds: 30 }));
    d.remove();
    d.runUntil((_, cluster) => {
      cluster.copy.exists = true;
      return cluster.canary.gone;
    }, 40);
    expect(d.cluster.canary.gone).to.equal(true);
    expect(warnings(d).at(-1)).to.equal('Terminated canary podinfo.test before its objects were all removed: the finalization deadline passed');
  });

  it('when a Canary without Davy finalizer is deleted, then the step asks for nothing', () => {
    const d = initialized(canary());
    d.cluster.canary.finalizers = [];
    d.remove();
    const out = step(d.state, canary().spec, observe(d.cluster), new Date(d.cluster.now + 60_000));
    expect(out.changed).to.equal(false);
    expect(out.actions).to.deep.equal([]);
    expect(out.state).to.equal(d.state);
  });
});
