import { expect } from 'chai';
import { createDriver } from '../../../src/simulate/simulate.js';
import { observe } from '../../../src/simulate/cluster.js';
import { step } from '../../../src/stepper/step.js';
import { canary, events, released, toEnd, warnings } from './driver.js';

const deadline30 = { progressDeadlineSeconds: 30 };

describe('stepper deadlines: every non-terminal phase ends in a terminal phase with a reason', () => {
  it('when the copy never becomes ready, then the run rolls back at the progress deadline, saying why', () => {
    const d = released(canary({}, deadline30));
    d.cluster.copy.stuck = true;
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'ProgressDeadline' });
    expect(warnings(d)).to.deep.equal([
      'Waiting for podinfo-canary.test rollout to finish: 0 of 2 updated replicas are available',
      'Rolling back podinfo.test progress deadline exceeded podinfo-canary.test not ready: 0 of 2 updated replicas are available',
      'Canary failed! Scaling down podinfo.test',
    ]);
    expect(d.cluster.log.alerts.at(-1)?.message).to.include('Progress deadline exceeded');
  });

  it("when Kubernetes reports the copy's ProgressDeadlineExceeded, then the run rolls back on that tick", () => {
    const d = released(canary());
    const obs = observe(d.cluster);
    if (obs.copy.readiness) obs.copy.readiness.progressDeadlineExceeded = true;
    const out = step(d.state, canary().spec, obs, new Date(d.cluster.now + 10_000));
    expect(out.state).to.include({ phase: 'Failed', reason: 'CanaryNotReady' });
    const messages = out.actions.flatMap((a) => (a.kind === 'event' ? [a.message] : []));
    expect(messages[0]).to.equal('Rolling back podinfo.test progress deadline exceeded deployment "podinfo-canary.test" exceeded its progress deadline');
  });

  it("when the user's workload never finishes rolling out, then the promotion fails with all traffic on the healthy copy", () => {
    const d = released(canary({}, deadline30));
    d.runUntil((s) => s.phase === 'Promoting');
    d.cluster.target.rollout!.stuck = true;
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'PromotionFailed', copy: 'up' });
    expect(d.cluster.routes).to.deep.equal({ primary: 0, canary: 100, mirror: false });
    expect(d.cluster.copy.replicas).to.equal(2);
    expect(warnings(d).at(-1)).to.equal(
      'Promotion of podinfo.test failed, podinfo.test not ready: progress deadline exceeded: 1 of 2 updated replicas are available',
    );
    expect(d.cluster.log.alerts.at(-1)).to.include({ severity: 'error' });
  });

  it('when the target does not exist, then initialization fails at the deadline and recovers when it appears', () => {
    const d = createDriver(canary({}, deadline30));
    d.cluster.target.exists = false;
    d.stepNow();
    d.runUntil((s) => s.phase === 'Failed', 20);
    expect(d.state).to.include({ phase: 'Failed', reason: 'BootstrapDeadline' });
    expect(warnings(d)).to.include('Waiting for podinfo.test: the target workload does not exist');
    d.cluster.target.exists = true;
    d.runUntil((s) => s.phase === 'Initialized', 5);
    expect(d.state).to.include({ phase: 'Initialized', stableRevision: 'rev-1' });
  });

  it('when an approval never comes, then the canary fails after the wait limit for people', () => {
    const gate = { name: 'approve', type: 'confirm-rollout' as const, url: 'http://gate/' };
    const d = released(canary({ webhooks: [gate] }), { stepOptions: { humanWaitTimeoutMs: 60_000 }, hook: () => ({ ok: false, message: 'closed' }) });
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'ApprovalTimeout' });
    expect(events(d)).to.include('podinfo.test failed: no approval in time (approve)');
    expect(d.cluster.target).to.include({ held: true, pods: 'rev-1' });
  });

  it('when a pause outlasts the wait limit for people, then the canary rolls back', () => {
    const d = released(canary(), { stepOptions: { humanWaitTimeoutMs: 60_000 } });
    d.runUntil((s) => s.routes.canary === 10);
    d.act('pause', 'n-1', 'dave');
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'PauseTimeout' });
  });

  it('when the default wait limit for people applies, then it is 24 hours', () => {
    const gate = { name: 'approve', type: 'confirm-rollout' as const, url: 'http://gate/' };
    const d = released(canary({ interval: '1m', webhooks: [gate] }), { hook: () => ({ ok: false, message: 'closed' }) });
    const start = d.cluster.now;
    toEnd(d, 2000);
    expect(d.cluster.now - start).to.be.within(24 * 3600_000, 24 * 3600_000 + 60_000);
  });
});
