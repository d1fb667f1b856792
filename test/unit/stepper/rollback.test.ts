import { expect } from 'chai';
import type { MetricResult } from '../../../src/stepper/observations.js';
import type { Moment } from '../../../src/simulate/simulate.js';
import type { MetricCheck } from '../../../src/stepper/checks.js';
import { queryOf } from '../../../src/stepper/state.js';
import { canary, events, eventsFrom, fixture, released, toEnd, warnings } from './driver.js';

const value = (check: MetricCheck, v: number): MetricResult => ({ verdict: 'ok', query: check.metric.query ?? `builtin ${check.name}`, value: v });

/** The OSM rollback tutorial: 69.17% once, then a slow tick, then 60% until the threshold. */
function tutorialMetrics(check: MetricCheck, m: Moment): MetricResult | undefined {
  if (m.analysisStep < 3) return undefined;
  if (check.name === 'request-success-rate') return value(check, m.analysisStep === 3 ? 69.1666 : m.analysisStep === 4 ? 99.9 : 60);
  if (check.name === 'request-duration') return value(check, m.analysisStep === 4 ? 1200 : 100);
  return undefined;
}

describe('stepper rollback scenarios', () => {
  it('when the success rate drops to 60%, then it halts, and rolls back after 5 failed checks with the tutorial events', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), { metric: tutorialMetrics }));
    expect(d.state).to.include({ phase: 'Failed', reason: 'FailedChecksThreshold', failedChecks: 5 });
    expect(eventsFrom(d, 'Starting canary analysis')).to.deep.equal([
      'Starting canary analysis for podinfo.test',
      'Pre-rollout check acceptance-test passed',
      'Advance podinfo.test canary weight 5',
      'Advance podinfo.test canary weight 10',
      'Advance podinfo.test canary weight 15',
      'Halt podinfo.test advancement success rate 69.17% < 99%',
      'Halt podinfo.test advancement request duration 1.20s > 0.5s',
      'Halt podinfo.test advancement success rate 60.00% < 99%',
      'Halt podinfo.test advancement success rate 60.00% < 99%',
      'Halt podinfo.test advancement success rate 60.00% < 99%',
      'Rolling back podinfo.test failed checks threshold reached 5',
      'Canary failed! Scaling down podinfo.test',
    ]);
  });

  it('when it rolls back, then the user pods never changed, the hold stays, traffic is on primary and the copy at zero', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), { metric: tutorialMetrics }));
    expect(d.cluster.target).to.include({ pods: 'rev-1', template: 'rev-2', held: true, stableAnnotation: 'rev-1', pendingAnnotation: 'rev-2' });
    expect(d.cluster.target.rollout).to.equal(undefined);
    expect(d.cluster.routes).to.deep.equal({ primary: 100, canary: 0, mirror: false });
    expect(d.cluster.copy.replicas).to.equal(0);
    expect(d.cluster.log.alerts.at(-1)).to.include({ severity: 'error', message: 'Failed checks threshold reached 5' });
  });

  it('when it rolls back, then the recorded checks show query, value, threshold and verdict', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm.yaml'), { metric: tutorialMetrics }));
    const failed = d.state.checks.filter((c) => c.verdict === 'failed');
    expect(failed.map((c) => [c.name, c.value])).to.deep.include.members([
      ['request-success-rate', 69.1666],
      ['request-duration', 1200],
      ['request-success-rate', 60],
    ]);
    const duration = failed.find((c) => c.name === 'request-duration')!;
    expect(duration).to.include({ max: 500, revision: 'rev-2' });
    // Recorded once per metric and revision (appendCheck): the query it was sent with.
    expect(queryOf(d.state.checks.slice(0, d.state.checks.indexOf(duration) + 1), duration)).to.equal('builtin request-duration');
    expect(d.state.checks.some((c) => c.kind === 'hook' && c.name === 'load-test' && c.verdict === 'ok')).to.equal(true);
  });

  it('when the custom 404s metric is over its threshold, then the halt names it and the canary rolls back', () => {
    const d = toEnd(released(fixture('podinfo-canary-osm-404s.yaml'), { metric: (c) => (c.name === '404s percentage' ? value(c, 6.2) : undefined) }));
    expect(d.state.phase).to.equal('Failed');
    expect(warnings(d).filter((w) => w.startsWith('Halt'))).to.deep.equal(Array(5).fill('Halt podinfo.test advancement 404s percentage 6.20 > 3'));
    const check = d.state.checks.at(-1);
    expect(check).to.include({ name: '404s percentage', value: 6.2, max: 3, verdict: 'failed' });
    expect(queryOf(d.state.checks, check!)).to.include('osm_request_total');
  });

  it('when a rollback hook answers 2xx, then the canary rolls back at once and post-rollout hooks get phase Failed', () => {
    const webhooks = [
      { name: 'kill-switch', type: 'rollback' as const, url: 'http://switch/' },
      { name: 'notify', type: 'post-rollout' as const, url: 'http://notify/' },
    ];
    const d = released(canary({ threshold: 5, webhooks }), { hook: (c, m) => (c.type === 'rollback' && m.state.routes.canary >= 20 ? { ok: true } : undefined) });
    toEnd(d);
    d.advance();
    expect(d.state).to.include({ phase: 'Failed', reason: 'RollbackHook' });
    expect(events(d)).to.include('Rollback hook kill-switch not signaling a rollback');
    expect(eventsFrom(d, 'Rollback check')).to.deep.equal([
      'Rollback check kill-switch passed',
      'Rolling back podinfo.test manual webhook invoked',
      'Canary failed! Scaling down podinfo.test',
      'Post-rollout check notify passed',
    ]);
    expect(d.cluster.log.hooks.map((h) => [h.hook, h.phase])).to.deep.equal([['notify', 'Failed']]);
    expect(d.cluster.log.alerts.at(-1)).to.include({ severity: 'warn', message: 'Rolling back manual webhook invoked' });
  });

  it('when a pre-rollout hook fails, then it counts as a failed check and the analysis start is retried', () => {
    const pre = { name: 'acceptance', type: 'pre-rollout' as const, url: 'http://test/' };
    const d = toEnd(released(canary({ threshold: 2, webhooks: [pre] }), { hook: () => ({ ok: false, message: 'exit 1' }) }));
    expect(d.state).to.include({ phase: 'Failed', failedChecks: 2 });
    expect(warnings(d).filter((w) => w.startsWith('Halt'))).to.deep.equal(Array(2).fill('Halt podinfo.test advancement pre-rollout check acceptance failed exit 1'));
    expect(events(d).filter((e) => e.startsWith('Starting canary analysis'))).to.have.length(2);
  });

  it('when a rollout hook fails, then the tick halts with the external check message', () => {
    const load = { name: 'load-test', url: 'http://load/' };
    const d = toEnd(released(canary({ threshold: 1, webhooks: [load] }), { hook: (c) => (c.type === 'rollout' ? { ok: false, message: 'timeout' } : undefined) }));
    expect(warnings(d)).to.include('Halt podinfo.test advancement external check load-test failed timeout');
    expect(d.state.reason).to.equal('FailedChecksThreshold');
  });
});

describe('stepper no-data policy', () => {
  const noData = (_check: MetricCheck): MetricResult => ({ verdict: 'noData', query: 'q', message: 'empty result' });
  const spec = (onNoData?: 'fail' | 'hold' | 'pass') =>
    canary({ threshold: 3, metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, ...(onNoData ? { onNoData } : {}) }] }, { progressDeadlineSeconds: 60 });

  it('when a metric has no data by default, then each tick is a failed check and the canary rolls back', () => {
    const d = toEnd(released(spec(), { metric: noData }));
    expect(d.state).to.include({ phase: 'Failed', reason: 'FailedChecksThreshold', failedChecks: 3 });
    expect(warnings(d)).to.include(
      'Halt advancement no values found for osm metric request-success-rate probably podinfo-canary.test is not receiving traffic: empty result',
    );
  });

  it('when onNoData is hold, then the weight holds without failed checks until the progress deadline', () => {
    const d = released(spec('hold'), { metric: noData });
    d.runUntil((s) => s.wait?.kind === 'noData');
    const heldAt = d.cluster.now;
    toEnd(d);
    expect(d.state).to.include({ phase: 'Failed', reason: 'NoDataDeadline', failedChecks: 0 });
    expect(d.cluster.now - heldAt).to.be.within(60_000, 70_000);
    expect(warnings(d).filter((w) => w.includes('onNoData: hold'))).to.have.length(1);
    expect(d.state.checks.at(-1)?.verdict).to.equal('noData');
  });

  it('when onNoData is hold and data comes back, then the analysis goes on', () => {
    const d = toEnd(released(spec('hold'), { metric: (c, m) => (m.analysisStep === 1 ? noData(c) : undefined) }));
    expect(d.state.phase).to.equal('Succeeded');
  });

  it('when onNoData is pass, then no data advances and the revision is promoted', () => {
    const d = toEnd(released(spec('pass'), { metric: noData }));
    expect(d.state).to.include({ phase: 'Succeeded', failedChecks: 0 });
    expect(d.state.checks.filter((c) => c.kind === 'metric').every((c) => c.verdict === 'noData')).to.equal(true);
  });
});
