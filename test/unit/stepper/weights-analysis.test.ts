import { expect } from 'chai';
import { effectiveAnalysis, effectiveMetric, type EffectiveMetric } from '../../../src/api/defaults.js';
import type { CanaryMetric } from '../../../src/api/types.js';
import { combine, judgeMetric, metricOrder, outOfRange } from '../../../src/stepper/analysis.js';
import type { MetricResult } from '../../../src/stepper/observations.js';
import { abRoutes, atMaxWeight, mirrorsFirst, nextPrimaryWeight, nextWeight, split } from '../../../src/stepper/weights.js';
import { canary } from './driver.js';

describe('stepper weights', () => {
  const table: [string, number[], number, number | undefined][] = [
    ['from 0, the first rung', [5, 10, 15], 0, 5],
    ['between rungs, the next rung', [10, 20, 50], 15, 20],
    ['at the top, nothing', [10, 20, 30], 30, undefined],
    ['above the top, nothing', [10, 20, 30], 40, undefined],
    ['stepWeights, never overshooting', [1, 2, 10, 80], 2, 10],
  ];
  for (const [name, ladder, current, next] of table) {
    it(`when the weight is ${current} on [${ladder.join(',')}], then the next is ${String(next)} (${name})`, () => {
      expect(nextWeight(ladder, current)).to.equal(next);
    });
  }

  it('when promoting with stepWeightPromotion 20 from weight 50, then primary goes 70, 90, 100', () => {
    const a = effectiveAnalysis(canary({ maxWeight: 50, stepWeight: 10, stepWeightPromotion: 20 }).spec);
    const seen: number[] = [];
    for (let primary = 50, next = nextPrimaryWeight(a.promotionWeights, primary); next !== undefined; next = nextPrimaryWeight(a.promotionWeights, primary)) {
      seen.push(next);
      primary = next;
    }
    expect(seen).to.deep.equal([70, 90, 100]);
  });

  it('when a weighted canary is at maxWeight, then it is at max; below, it is not', () => {
    const a = effectiveAnalysis(canary({ maxWeight: 50, stepWeight: 20 }).spec);
    expect(a.weights).to.deep.equal([20, 40, 50]);
    expect(atMaxWeight(a, 40)).to.equal(false);
    expect(atMaxWeight(a, 50)).to.equal(true);
  });

  it('when A/B runs on a provider that cannot match, then traffic stays on primary (Flagger quirk §15.8 not reproduced)', () => {
    const ab = { iterations: 3, match: [{ headers: { x: { exact: '1' } } }] };
    expect(abRoutes(effectiveAnalysis(canary(ab, { provider: 'istio' }).spec))).to.deep.equal(split(100));
    expect(abRoutes(effectiveAnalysis(canary(ab, { provider: 'osm' }).spec))).to.deep.equal(split(0));
  });

  it('when mirror is set, then only a provider that mirrors gets the mirror step', () => {
    expect(mirrorsFirst(effectiveAnalysis(canary({ mirror: true }, { provider: 'istio' }).spec))).to.equal(true);
    expect(mirrorsFirst(effectiveAnalysis(canary({ mirror: true }, { provider: 'osm' }).spec))).to.equal(false);
  });

  it('when a split is asked out of range, then it is clamped to 0..100', () => {
    expect(split(150)).to.deep.equal({ primary: 0, canary: 100, mirror: false });
    expect(split(-5)).to.deep.equal({ primary: 100, canary: 0, mirror: false });
  });
});

describe('stepper metric verdicts', () => {
  const ctx = { c: 'podinfo.test', copy: 'podinfo-canary.test', observer: 'osm', at: '2025-01-01T00:00:00.000Z' };
  const metric = (m: CanaryMetric): EffectiveMetric => effectiveMetric(m, 'test');
  const ok = (value: number): MetricResult => ({ verdict: 'ok', query: 'q', value });

  const messages: [string, number, '<' | '>', number, string][] = [
    ['request-success-rate', 69.1666, '<', 99, 'success rate 69.17% < 99%'],
    ['request-success-rate', 99.5, '>', 99, 'success rate 99.50% > 99%'],
    ['request-duration', 1200, '>', 500, 'request duration 1.20s > 0.5s'],
    ['request-duration', 12, '<', 50, 'request duration 0.01s < 0.05s'],
    ['404s percentage', 6.2, '>', 3, '404s percentage 6.20 > 3'],
    ['latency', 0.25, '<', 0.5, 'latency 0.25 < 0.5'],
  ];
  for (const [name, value, op, bound, text] of messages) {
    it(`when ${name} is ${value} ${op} ${bound}, then the message reads "${text}"`, () => {
      expect(outOfRange(name, value, op, bound)).to.equal(text);
    });
  }

  it('when the 404s metric (legacy threshold, inline query) reads 6.2, then it fails with the tutorial message', () => {
    const outcome = judgeMetric(metric({ name: '404s percentage', threshold: 3, query: 'q' }), ok(6.2), ctx);
    expect(outcome.kind).to.equal('fail');
    if (outcome.kind !== 'fail') return;
    expect(outcome.message).to.equal('Halt podinfo.test advancement 404s percentage 6.20 > 3');
    expect(outcome.record).to.include({ name: '404s percentage', value: 6.2, max: 3, verdict: 'failed', query: 'q' });
  });

  it('when a value sits on a bound, then it passes (bounds are inclusive)', () => {
    expect(judgeMetric(metric({ name: 'request-success-rate', thresholdRange: { min: 99 } }), ok(99), ctx).kind).to.equal('pass');
    expect(judgeMetric(metric({ name: 'request-duration', thresholdRange: { max: 500 } }), ok(500), ctx).kind).to.equal('pass');
  });

  const noData: ['fail' | 'hold' | 'pass' | undefined, string][] = [
    [undefined, 'fail'],
    ['fail', 'fail'],
    ['hold', 'hold'],
    ['pass', 'pass'],
  ];
  for (const [policy, kind] of noData) {
    it(`when a metric has no data and onNoData is ${String(policy)}, then the outcome is ${kind} and the verdict noData`, () => {
      const m = metric({ name: 'request-success-rate', thresholdRange: { min: 99 }, ...(policy ? { onNoData: policy } : {}) });
      const outcome = judgeMetric(m, { verdict: 'noData', query: 'q', message: 'empty result' }, ctx);
      expect(outcome.kind).to.equal(kind);
      expect(outcome.record?.verdict).to.equal('noData');
      if (outcome.kind !== 'pass') {
        expect(outcome.message).to.equal(
          'Halt advancement no values found for osm metric request-success-rate probably podinfo-canary.test is not receiving traffic: empty result',
        );
      }
    });
  }

  it('when a value is NaN, then it is no data, never a pass', () => {
    const outcome = judgeMetric(metric({ name: 'errors', thresholdRange: { max: 1 }, query: 'q' }), ok(Number.NaN), ctx);
    expect(outcome.kind).to.equal('fail');
    expect(outcome.record?.verdict).to.equal('noData');
  });

  it('when the query errors or the runner gave no result, then it is a failed check with verdict error', () => {
    const m = metric({ name: 'request-duration', thresholdRange: { max: 500 } });
    const failed = judgeMetric(m, { verdict: 'error', query: 'q', message: 'connection refused' }, ctx);
    expect(failed.kind).to.equal('fail');
    expect(failed.record?.verdict).to.equal('error');
    expect(judgeMetric(m, undefined, ctx).kind).to.equal('fail');
  });

  it('when several metrics are judged, then builtin and query metrics come before templates, and a failure beats a hold', () => {
    const order = metricOrder([
      metric({ name: 't', templateRef: { name: 'x' } }),
      metric({ name: 'request-success-rate' }),
      metric({ name: 'q', query: 'up' }),
    ]).map((m) => m.name);
    expect(order).to.deep.equal(['request-success-rate', 'q', 't']);
    const hold = judgeMetric(metric({ name: 'a', query: 'q', onNoData: 'hold' }), { verdict: 'noData', query: 'q', message: '' }, ctx);
    const fail = judgeMetric(metric({ name: 'b', query: 'q', thresholdRange: { max: 1 } }), ok(2), ctx);
    expect(combine([hold, fail]).kind).to.equal('fail');
    expect(combine([hold]).kind).to.equal('hold');
  });
});
