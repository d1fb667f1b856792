// The terminal helpers: tables, escape-aware widths, durations, progress bars, check values.

import { expect } from 'chai';
import { COLOR, PLAIN, paintFor, stripAnsi, truncateVisible, visibleWidth } from '../../../src/cli/format/ansi.js';
import { checkSummary, formatThreshold, formatValue, withinBounds } from '../../../src/cli/format/checks.js';
import { bar } from '../../../src/cli/format/progress.js';
import { fields, table } from '../../../src/cli/format/table.js';
import { isoSeconds, relative, span } from '../../../src/cli/format/time.js';

describe('cli format helpers', () => {
  it('when rows are laid out, then columns align on the widest cell, missing values read "-" and headers are upper case', () => {
    const rows = [{ a: 'podinfo', b: '5' }, { a: 'x', b: '' }];
    expect(table([{ header: 'name', value: (r: { a: string; b: string }) => r.a }, { header: 'weight', value: (r) => r.b }], rows)).to.deep.equal([
      'NAME      WEIGHT',
      'podinfo   5',
      'x         -',
    ]);
  });

  it('when a cell is coloured, then the alignment is computed on its visible text', () => {
    const lines = table([{ header: 'v', value: (r: string) => r, style: (cell) => COLOR.red(cell) }, { header: 'z', value: () => 'z' }], ['ok', 'failed']);
    expect(lines.map(stripAnsi)).to.deep.equal(['V        Z', 'ok       z', 'failed   z']);
  });

  it('when fields are listed, then their values align and an empty label continues the line above', () => {
    expect(fields([['Phase', 'Progressing'], ['Waiting for', 'a'], ['', 'b']])).to.deep.equal(['Phase:       Progressing', 'Waiting for: a', '             b']);
  });

  it('when a line is wider than the terminal, then it is cut to the width with an ellipsis and escapes count for nothing', () => {
    expect(truncateVisible('abcdef', 4)).to.equal('abc…');
    expect(truncateVisible('abc', 4)).to.equal('abc');
    const cut = truncateVisible(COLOR.green('abcdef'), 4);
    expect(visibleWidth(cut)).to.equal(4);
    expect(stripAnsi(cut)).to.equal('abc…');
  });

  it('when output is not a terminal or NO_COLOR is set, then nothing is coloured', () => {
    expect(paintFor(false, false)).to.equal(PLAIN);
    expect(paintFor(true, true)).to.equal(PLAIN);
    expect(paintFor(true, false)).to.equal(COLOR);
  });

  it('when durations are shown, then at most two units are used, rounded down to the second', () => {
    expect([0, 999, 12_000, 90_000, 3_723_000, 90_061_000].map(span)).to.deep.equal(['0s', '0s', '12s', '1m30s', '1h2m', '1d1h']);
  });

  it('when a time is shown, then it is RFC 3339 to the second, and relative to now on request', () => {
    expect(isoSeconds('2025-01-01T00:00:05.123Z')).to.equal('2025-01-01T00:00:05Z');
    const now = new Date('2025-01-01T00:01:00Z');
    expect(relative('2025-01-01T00:01:12Z', now)).to.equal('in 12s');
    expect(relative('2025-01-01T00:00:00Z', now)).to.equal('1m ago');
    expect(relative('2025-01-01T00:01:00.400Z', now)).to.equal('now');
  });

  it('when a bar is drawn, then its fill is the fraction clamped to [0, 1]', () => {
    expect(bar(0.25, { width: 8 })).to.equal('[██░░░░░░]');
    expect(bar(2, { width: 4, ascii: true })).to.equal('[####]');
    expect(bar(Number.NaN, { width: 4, ascii: true })).to.equal('[....]');
  });

  it('when checks are shown, then values keep six significant digits and bounds read as >=, <= or a range', () => {
    expect([100, 99.123456789, 0.000123, undefined].map(formatValue)).to.deep.equal(['100', '99.1235', '0.000123', '']);
    expect([formatThreshold(99, undefined), formatThreshold(undefined, 500), formatThreshold(1, 2), formatThreshold(undefined, undefined)]).to.deep.equal(['>= 99', '<= 500', '1..2', '']);
    expect([withinBounds(99, 99, undefined), withinBounds(501, undefined, 500)]).to.deep.equal([true, false]);
    expect(checkSummary(PLAIN, { name: 'request-duration', value: 250, max: 500, verdict: 'ok' })).to.equal('request-duration 250 (<= 500) ok');
  });
});
