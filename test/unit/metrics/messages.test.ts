// Check messages in Flagger's wording, as the tutorials' event streams show them.
import { expect } from 'chai';
import { formatBound, formatValue, judge, noDataMessage, styleOf } from '../../../src/metrics/messages.js';

describe('messages: verdicts in Flagger\'s words', () => {
  it('when the success rate is below its min, then the message matches the OSM tutorial', () => {
    expect(judge('success-rate', 'request-success-rate', 69.1734, 99)).to.deep.equal({ ok: false, message: 'success rate 69.17% < 99%' });
  });

  it('when the request duration is above its max, then the message matches the OSM tutorial', () => {
    expect(judge('duration', 'request-duration', 1200, undefined, 500)).to.deep.equal({ ok: false, message: 'request duration 1.20s > 0.5s' });
  });

  it('when a custom metric is above its max, then the message matches the 404s tutorial', () => {
    expect(judge('custom', '404s percentage', 6.2, undefined, 3)).to.deep.equal({ ok: false, message: '404s percentage 6.20 > 3' });
  });

  it('when a value is below a min on a duration or custom metric, then "<" is used', () => {
    expect(judge('duration', 'request-duration', 10, 50).message).to.equal('request duration 0.01s < 0.05s');
    expect(judge('custom', 'rps', 0.5, 1).message).to.equal('rps 0.50 < 1');
  });

  it('when a value sits on a bound, then it passes (bounds are inclusive)', () => {
    expect(judge('success-rate', 'request-success-rate', 99, 99).ok).to.equal(true);
    expect(judge('duration', 'request-duration', 500, undefined, 500).ok).to.equal(true);
  });

  it('when a value passes, then the message shows it with its range', () => {
    expect(judge('success-rate', 'request-success-rate', 100, 99).message).to.equal('success rate 100.00% >= 99%');
    expect(judge('duration', 'request-duration', 40, undefined, 500).message).to.equal('request duration 0.04s <= 0.5s');
    expect(judge('custom', 'x', 2, 1, 3).message).to.equal('x 2.00 within [1, 3]');
    expect(judge('custom', 'x', 2).message).to.equal('x 2.00 (no threshold)');
  });

  it('when values and bounds are formatted, then values get two decimals and bounds print as written', () => {
    expect([formatValue('success-rate', 99.999), formatBound('success-rate', 99.5)]).to.deep.equal(['100.00%', '99.5%']);
    expect([formatValue('custom', 3), formatBound('custom', 0.25)]).to.deep.equal(['3.00', '0.25']);
  });

  it('when a metric is named like a builtin but comes from a template, then it reads as custom', () => {
    expect(styleOf({ name: 'request-duration', source: 'template' })).to.equal('custom');
    expect(styleOf({ name: 'request-duration', source: 'builtin' })).to.equal('duration');
  });

  it('when there is no data, then the message uses Flagger\'s wording for builtin, template and inline metrics', () => {
    expect(noDataMessage({ name: 'request-success-rate', source: 'builtin' }, 'empty vector', 'osm', 'podinfo-canary.test'))
      .to.equal('no values found for osm metric request-success-rate probably podinfo-canary.test is not receiving traffic: empty vector');
    expect(noDataMessage({ name: 'errors', source: 'template' }, 'NaN', 'osm', 'w')).to.equal('no values found for custom metric: errors: NaN');
    expect(noDataMessage({ name: '404s', source: 'query' }, 'NaN', 'osm', 'w')).to.equal('no values found for metric: 404s: NaN');
  });
});
