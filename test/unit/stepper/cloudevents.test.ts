// The CloudEvents the pure stepper queues (src/stepper/cloudevents.ts), on the simulator: which
// occurrences a promotion, a rollback, a hold and a deletion report, with what values, and that the
// outbox keeps them apart from hooks and alerts.
import { expect } from 'chai';
import { OCCURRENCES, occurrenceOf, parseState, serializeState, type CloudEventEntry, type Reason } from '../../../src/stepper/index.js';
import { freshState, CLOUD_EVENTS_LIMIT, OUTBOX_LIMIT, type State } from '../../../src/stepper/state.js';
import { outbox, type Tick } from '../../../src/stepper/tick.js';
import { canary, initialized, released, toEnd } from './driver.js';

const SUCCESS_RATE = { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' };
const WITH_SINK = { stepOptions: { cloudEvents: true } };

const summary = (e: CloudEventEntry): string => `${e.occurrence} ${e.phase} ${e.routes.canary}`;

describe('stepper: CloudEvents', () => {
  it('when a revision is promoted, then every transition and weight step is queued once, in order, with the step\'s values', () => {
    const d = toEnd(released(canary({ metrics: [SUCCESS_RATE] }), WITH_SINK));
    const sent = d.cluster.log.cloudEvents;
    expect(sent.map(summary)).to.deep.equal([
      'initializing Initializing 0', 'initialized Initialized 0', 'progressing Progressing 0',
      'advanced Progressing 10', 'advanced Progressing 20', 'advanced Progressing 30',
      'promotion.started Promoting 30', 'promotion.finalising Finalising 0', 'promoted Succeeded 0',
    ]);
    expect(new Set(sent.map((e) => e.id)).size, 'ids are distinct').to.equal(sent.length);
    const progressing = sent[2]!;
    expect(progressing).to.include({ from: 'Initialized', reason: 'NewRevision', revision: 'rev-2' });
    const step = sent[4]!;
    expect(step.routes).to.deep.equal({ primary: 80, canary: 20, mirror: false });
    expect(step.checks).to.deep.equal([{ kind: 'metric', name: 'request-success-rate', verdict: 'ok', value: 100, min: 99 }]);
    expect(sent.at(-1)).to.include({ from: 'Finalising', reason: 'PromotionComplete', stableRevision: 'rev-2' });
  });

  it('when a check fails until the threshold, then a halt and the rollback are queued with the failed value and its threshold', () => {
    const d = toEnd(released(canary({ metrics: [SUCCESS_RATE] }), { ...WITH_SINK, metric: () => ({ verdict: 'ok', query: 'q', value: 42 }) }));
    const [halt, rollback] = d.cluster.log.cloudEvents.slice(-2);
    const failed = { kind: 'metric', name: 'request-success-rate', verdict: 'failed', value: 42, min: 99 };
    expect(halt).to.deep.include({ occurrence: 'halted', phase: 'Progressing', failedChecks: 1, checks: [failed] });
    expect(rollback).to.deep.include({ occurrence: 'rolledback', phase: 'Failed', from: 'Progressing', reason: 'FailedChecksThreshold', failedChecks: 2, checks: [failed] });
    expect(rollback!.message).to.equal('2 failed checks (threshold 2)');
    expect(rollback!.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
  });

  it('when a traffic increase waits for approval, then one halt is queued when the wait begins, not one per interval', () => {
    const gate = { name: 'gate', type: 'confirm-traffic-increase' as const, url: 'http://gate.test/' };
    const d = released(canary({ webhooks: [gate] }), { ...WITH_SINK, hook: (c) => (c.name === 'gate' ? { ok: false, message: 'no' } : undefined) });
    for (let i = 0; i < 6; i += 1) d.advance();
    const halts = d.cluster.log.cloudEvents.filter((e) => e.occurrence === 'halted');
    expect(halts).to.have.length(1);
    expect(halts[0]!.message).to.equal('gate');
  });

  it('when the Canary is deleted, then terminating is queued', () => {
    const d = initialized(canary(), WITH_SINK);
    d.remove();
    d.stepNow();
    expect(d.cluster.log.cloudEvents.at(-1)).to.include({ occurrence: 'terminating', phase: 'Terminating', reason: 'Deleted' });
  });

  it('when the stepper has no sink, then nothing is queued and the state is as before', () => {
    const d = toEnd(released(canary({ metrics: [SUCCESS_RATE] })));
    expect(d.cluster.log.cloudEvents).to.deep.equal([]);
    const withSink = toEnd(released(canary({ metrics: [SUCCESS_RATE] }), WITH_SINK));
    expect(withSink.state.phase).to.equal(d.state.phase);
    expect(withSink.state.routes).to.deep.equal(d.state.routes);
  });

  it('when any reason is recorded, then it names one of the documented occurrences', () => {
    const reasons: Reason[] = [
      'Bootstrap', 'Initialized', 'BootstrapDeadline', 'NewRevision', 'Restarted', 'Retry', 'Reverted', 'AwaitingApproval',
      'ApprovalTimeout', 'AwaitingPromotionApproval', 'AnalysisPassed', 'SkipAnalysis', 'PromoteAction', 'RolloutComplete',
      'PromotionComplete', 'PromotionFailed', 'FailedChecksThreshold', 'RollbackHook', 'Aborted', 'CanaryNotReady',
      'NoDataDeadline', 'ProgressDeadline', 'PauseTimeout', 'Deleted',
    ];
    for (const reason of reasons) expect(OCCURRENCES, reason).to.include(occurrenceOf(reason));
  });

  it('when CloudEvents pile up for a sink that is down, then the oldest of them go and no hook or alert is pushed out', () => {
    const state: State = freshState();
    const tick = { state } as Tick;
    outbox(tick, { id: 'a1', kind: 'alert', severity: 'info', message: 'hello', phase: 'Progressing' });
    const event = (n: number): CloudEventEntry => ({
      id: `c${n}`, kind: 'cloudEvent', occurrence: 'advanced', at: '2026-01-01T00:00:00.000Z', phase: 'Progressing',
      routes: { primary: 90, canary: 10, mirror: false }, iterations: 0, failedChecks: 0, checks: [],
    });
    for (let n = 1; n <= CLOUD_EVENTS_LIMIT + 5; n += 1) outbox(tick, event(n));
    expect(tick.state.outbox.filter((e) => e.kind === 'alert').map((e) => e.id)).to.deep.equal(['a1']);
    const kept = tick.state.outbox.filter((e) => e.kind === 'cloudEvent').map((e) => e.id);
    expect(kept).to.have.length(CLOUD_EVENTS_LIMIT);
    expect(kept[0]).to.equal('c6');
    for (let n = 1; n <= OUTBOX_LIMIT; n += 1) outbox(tick, { id: `a${n + 1}`, kind: 'alert', severity: 'info', message: 'x', phase: 'Progressing' });
    expect(tick.state.outbox.filter((e) => e.kind === 'cloudEvent')).to.have.length(CLOUD_EVENTS_LIMIT);
    expect(tick.state.outbox.filter((e) => e.kind === 'alert')).to.have.length(OUTBOX_LIMIT);
  });

  it('when a state with queued CloudEvents is written and read back, then they come back whole, and a mangled one is dropped', () => {
    const d = released(canary({ metrics: [SUCCESS_RATE] }), WITH_SINK);
    d.advance();
    d.advance();
    const entry = d.cluster.log.cloudEvents.find((e) => e.checks.length > 0)!;
    const state: State = { ...d.state, outbox: [entry, { ...entry, id: 'bad', occurrence: 'exploded' as never }] };
    expect(parseState(serializeState(state)).state.outbox).to.deep.equal([entry]);
  });
});
