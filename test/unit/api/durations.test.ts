import { expect } from 'chai';
import { formatDuration, parseDuration } from '../../../src/api/durations.js';

describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['30s', 30_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['.5s', 500],
    ['100us', 0.1],
    ['0', 0],
    ['0s', 0],
  ];
  for (const [text, ms] of valid) {
    it(`when given ${JSON.stringify(text)}, then it returns ${ms} ms`, () => expect(parseDuration(text)).to.equal(ms));
  }

  const invalid: unknown[] = ['', '1', '60', 'x', '1m x', ' 1m', '-1s', '+1s', '1d', '1 m', 'm', '1.2.3s', 30, null, undefined, {}];
  for (const text of invalid) {
    it(`when given ${JSON.stringify(text) ?? 'undefined'}, then it returns undefined (never a silent 60s)`, () => expect(parseDuration(text)).to.equal(undefined));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [[0, '0s'], [500, '500ms'], [1500, '1.5s'], [90_000, '1m30s'], [3_600_000, '1h'], [3_000_000, '50m']];
  for (const [ms, text] of cases) {
    it(`when given ${ms} ms, then it prints ${text}`, () => expect(formatDuration(ms)).to.equal(text));
  }
});
