import { expect } from 'chai';
import type { MetricCheck } from '../../../src/stepper/checks.js';
import type { MetricResult } from '../../../src/stepper/observations.js';
import { canary, events, eventsFrom, initialized, released, toEnd, warnings } from './driver.js';

const withMetric = (extra = {}) => canary({ threshold: 2, metrics: [{ name: 'errors', query: 'q', thresholdRange: { max: 1 } }], ...extra });
let healthy = true;
const metric = (_check: MetricCheck): MetricResult => ({ verdict: 'ok', query: 'q', value: healthy ? 0 : 5 });

describe('stepper imperative actions', () => {
  beforeEach(() => {
    healthy = true;
  });

  it('when promote is asked mid-analysis, then the rest is skipped once, and the nonce is never executed again', () => {
    const d = released(withMetric(), { metric });
    d.runUntil((s) => s.routes.canary === 10);
    d.act('promote', 'n-1', 'alice');
    d.stepNow();
    expect(d.state.phase).to.equal('Promoting');
    expect(d.state.lastAction).to.include({ nonce: 'n-1', action: 'promote', by: 'alice', outcome: 'done' });
    expect(eventsFrom(d, 'Promote podinfo.test')).to.deep.equal([
      'Promote podinfo.test requested by alice: skipping the rest of the analysis of revision rev-2',
      'Releasing the hold on podinfo.test: rolling out revision rev-2',
    ]);
    toEnd(d);
    d.pushRevision('rev-3');
    d.stepNow();
    toEnd(d);
    expect(events(d).filter((e) => e.startsWith('Promote podinfo.test'))).to.have.length(1);
    expect(events(d).filter((e) => e === 'Advance podinfo.test canary weight 30')).to.have.length(1);
  });

  it('when abort is asked mid-analysis, then it rolls back now and records who asked', () => {
    const d = released(withMetric(), { metric });
    d.runUntil((s) => s.routes.canary === 20);
    d.act('abort', 'n-2', 'bob');
    d.stepNow();
    expect(d.state).to.include({ phase: 'Failed', reason: 'Aborted' });
    expect(eventsFrom(d, 'Abort')).to.deep.equal([
      'Abort podinfo.test requested by bob: rolling back revision rev-2',
      'Rolling back podinfo.test: aborted by bob',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(d.cluster.target).to.include({ held: true, pods: 'rev-1' });
  });

  it('when retry is asked for a failed revision with no template change, then it re-runs once and promotes when healthy', () => {
    healthy = false;
    const d = toEnd(released(withMetric(), { metric }));
    expect(d.state.phase).to.equal('Failed');
    for (let i = 0; i < 3; i += 1) d.advance();
    expect(d.state.phase).to.equal('Failed');
    healthy = true;
    d.act('retry', 'n-3', 'carol');
    d.stepNow();
    expect(eventsFrom(d, 'Retry')).to.deep.equal([
      'Retry podinfo.test requested by carol: re-running the analysis of revision rev-2',
      'New revision detected! Scaling up podinfo.test',
    ]);
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(d.cluster.target.pods).to.equal('rev-2');
    d.advance();
    expect(events(d).filter((e) => e.startsWith('Retry'))).to.have.length(1);
  });

  it('when a failed promotion is retried, then the stepper waits for the rollout again and finishes', () => {
    const d = released(canary({}, { progressDeadlineSeconds: 30 }));
    d.runUntil((s) => s.phase === 'Promoting');
    d.cluster.target.rollout!.stuck = true;
    toEnd(d);
    expect(d.state.reason).to.equal('PromotionFailed');
    d.cluster.target.rollout!.stuck = false;
    d.act('retry', 'n-4');
    d.stepNow();
    expect(d.state.phase).to.equal('Promoting');
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(d.cluster.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
  });

  it('when paused, then the weight holds while the analysis goes on, and resume advances it again', () => {
    const d = released(withMetric(), { metric });
    d.runUntil((s) => s.routes.canary === 10);
    d.act('pause', 'n-5', 'dave');
    for (let i = 0; i < 5; i += 1) d.advance();
    expect(d.state.routes.canary).to.equal(10);
    expect(d.timeline.slice(-5).every((e) => e.checks.length === 1)).to.equal(true);
    expect(events(d).filter((e) => e === 'Halt podinfo.test advancement: paused by dave')).to.have.length(1);
    d.act('resume', 'n-6', 'dave');
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(events(d)).to.include('Resume podinfo.test requested by dave: weights and iterations advance again');
  });

  it('when paused and the metrics fail, then the canary still rolls back', () => {
    const d = released(withMetric(), { metric });
    d.runUntil((s) => s.routes.canary === 10);
    d.act('pause', 'n-7', 'dave');
    d.advance();
    healthy = false;
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'FailedChecksThreshold' });
  });

  it('when promote is asked while a revision waits for confirm-rollout, then it is promoted without analysis', () => {
    const gate = { name: 'approve', type: 'confirm-rollout' as const, url: 'http://gate/' };
    const d = released(canary({ webhooks: [gate] }), { hook: () => ({ ok: false, message: 'closed' }) });
    expect(d.state.phase).to.equal('Waiting');
    d.act('promote', 'n-8', 'erin');
    d.stepNow();
    expect(eventsFrom(d, 'Promote')).to.deep.equal([
      'Promote podinfo.test requested by erin: promoting revision rev-2 without analysis',
      'Releasing the hold on podinfo.test: rolling out revision rev-2',
    ]);
    toEnd(d);
    expect(d.state.phase).to.equal('Succeeded');
    expect(d.cluster.target.pods).to.equal('rev-2');
  });

  const ignored: [string, string, string][] = [
    ['promote', 'Initialized', 'Promote podinfo.test requested by frank ignored: podinfo.test runs its stable revision: nothing to promote'],
    ['abort', 'Initialized', 'Abort podinfo.test requested by frank ignored: no analysis to abort while Initialized'],
    ['retry', 'Initialized', 'Retry podinfo.test requested by frank ignored: retry applies to a Failed canary, this one is Initialized'],
    ['resume', 'Initialized', 'Resume podinfo.test requested by frank ignored: not paused'],
    ['explode', 'Initialized', 'Explode podinfo.test requested by frank ignored: unknown action "explode" (promote, abort, retry, pause or resume)'],
  ];
  for (const [verb, phase, message] of ignored) {
    it(`when ${verb} does not apply (${phase}), then it is recorded as ignored with a warning, once`, () => {
      const d = initialized(canary());
      d.act(verb, `n-${verb}`, 'frank');
      d.stepNow();
      d.advance();
      expect(warnings(d)).to.deep.equal([message]);
      expect(d.state.lastAction).to.include({ nonce: `n-${verb}`, outcome: 'ignored' });
    });
  }

  it('when abort is asked after the hold was released, then it is refused with what to do instead', () => {
    const d = released(canary(), { timing: { rolloutMs: 60_000 } });
    d.runUntil((s) => s.phase === 'Promoting');
    d.act('abort', 'n-9', 'gina');
    d.stepNow();
    expect(warnings(d).at(-1)).to.equal(
      'Abort podinfo.test requested by gina ignored: the hold on podinfo.test is released and it rolls out revision rev-2: revert its template to roll back',
    );
    expect(toEnd(d).state.phase).to.equal('Succeeded');
  });
});
