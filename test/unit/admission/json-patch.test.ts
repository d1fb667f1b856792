// The minimal patch builders and the JSON equality the mutation uses instead of a second hash.
import { expect } from 'chai';
import fc from 'fast-check';
import { escapePointerToken, fieldPatch, jsonEqual, mapPatch } from '../../../src/admission/json-patch.js';
import { canonicalJson } from '../../../src/api/revision.js';

/** A JSON value and a copy with members shuffled, sometimes with one leaf changed. */
const pair = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), fc.jsonValue({ maxDepth: 1 })).map(([value, change, replacement]) => {
  const shuffle = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shuffle);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffle(x)]));
  };
  const copy = shuffle(value);
  if (change && typeof copy === 'object' && copy !== null && !Array.isArray(copy) && Object.keys(copy).length > 0) {
    (copy as Record<string, unknown>)[Object.keys(copy)[0]!] = replacement;
  }
  return [value, copy] as const;
});

describe('json-patch helpers', () => {
  it('when any two JSON values are compared, then jsonEqual agrees with comparing their canonical JSON', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(jsonEqual(a, b)).to.equal(canonicalJson(a) === canonicalJson(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('when members are undefined, then they count as absent, as in canonical JSON', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).to.equal(true);
    expect(jsonEqual([undefined], [null])).to.equal(true);
    expect(jsonEqual({ a: 1 }, { b: 1 })).to.equal(false);
  });

  it('when a key holds ~ or /, then it is escaped per RFC 6901', () => {
    expect(escapePointerToken('davy.dev/held')).to.equal('davy.dev~1held');
    expect(escapePointerToken('a~b/c')).to.equal('a~0b~1c');
  });

  it('when a map is edited, then only the keys that differ get operations, in key order', () => {
    expect(mapPatch('/m', { a: '1', b: '2', c: '3' }, { a: '1', b: 'x', d: '4' })).to.deep.equal([
      { op: 'add', path: '/m/b', value: 'x' },
      { op: 'remove', path: '/m/c' },
      { op: 'add', path: '/m/d', value: '4' },
    ]);
  });

  it('when the map is absent, then it is added whole, or not at all when nothing is wanted', () => {
    expect(mapPatch('/m', undefined, { a: '1' })).to.deep.equal([{ op: 'add', path: '/m', value: { a: '1' } }]);
    expect(mapPatch('/m', undefined, {})).to.deep.equal([]);
  });

  it('when a field already has the wanted value, then no operation; absent wanted means remove', () => {
    expect(fieldPatch('/spec/x', { type: 'OnDelete' }, { type: 'OnDelete' })).to.deep.equal([]);
    expect(fieldPatch('/spec/x', true, undefined)).to.deep.equal([{ op: 'remove', path: '/spec/x' }]);
    expect(fieldPatch('/spec/x', undefined, undefined)).to.deep.equal([]);
    expect(fieldPatch('/spec/x', undefined, true)).to.deep.equal([{ op: 'add', path: '/spec/x', value: true }]);
  });
});
