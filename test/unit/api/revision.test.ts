// The revision hash and its RFC 8785 canonical JSON: the fast serialiser is checked against a
// plain reference implementation on random JSON, against the RFC's own examples, and against
// revisions recorded before it was rewritten (a revision must never change: they are stored in
// every canaried workload's annotations).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, templateRevision } from '../../../src/api/revision.js';

/** RFC 8785 the obvious way: sort, map, join; JSON.stringify for every string and number. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`non-finite ${value}`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`);
  return `{${members.join(',')}}`;
}

const referenceRevision = (value: unknown): string => createHash('sha256').update(reference(value ?? {}), 'utf8').digest('hex').slice(0, 16);

/** Numbers whose ECMAScript serialisation is easy to get wrong. */
const trickyNumbers = fc.constantFrom(-0, 0, 1e21, 1e-7, 1e-6, 0.1 + 0.2, 5e-324, -5e-324, Number.MAX_VALUE, Number.MIN_SAFE_INTEGER, 2 ** 53, 123456789012345680000, 4.5, 1e30, Number('333333333.33333329'));
const numbers = fc.oneof(trickyNumbers, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
/** Strings across the whole UTF-16 range: control characters, quotes, astral pairs, lone surrogates. */
/** Code units at the edges of every escaping and UTF-8 encoding branch, in any sequence. */
const edgeUnits = fc.array(fc.constantFrom('\u0000', '\u0008', '\u001f', ' ', '"', '\\', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ud800', '\udbff', '\udc00', '\udfff', '\ue000', '\uffff'), { maxLength: 8 }).map((units) => units.join(''));
const strings = fc.oneof(
  edgeUnits,
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', '\ud800', '\udfff', '\ud83d\ude00', '\ufb33', '\u20ac', 'é', '\r\n\t\b\f'),
);
const keys = fc.oneof(strings, fc.constantFrom('a', 'b', 'A', '1', '10', '9', '__proto__x', 'constructor', 'toString'));

const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    numbers,
    strings,
    fc.array(fc.oneof({ weight: 9, arbitrary: tie('json') }, { weight: 1, arbitrary: fc.constant(undefined) }), { maxLength: 5 }),
    fc.dictionary(keys, fc.oneof({ weight: 9, arbitrary: tie('json') }, { weight: 1, arbitrary: fc.constant(undefined) }), { maxKeys: 6 }),
  ),
}));

/** The same value with every object's members in reverse insertion order. */
const reordered = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reordered);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)]));
};

const fixtureTemplate = (name: string, side: 'object' | 'oldObject'): unknown =>
  (JSON.parse(readFileSync(new URL(`../../fixtures/admission/${name}.json`, import.meta.url), 'utf8')) as { request: Record<string, { spec: { template: unknown } }> }).request[side]!.spec.template;

describe('canonical JSON and the template revision', () => {
  it('when any JSON value is canonicalised, then the output is exactly the reference implementation\'s', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).to.equal(reference(value));
      }),
      { numRuns: 5000 },
    );
  });

  it('when an object has many members (the built-in sort\'s path), then the output is still the reference\'s', () => {
    fc.assert(
      fc.property(fc.dictionary(keys, json, { minKeys: 17, maxKeys: 60 }), (value) => {
        expect(canonicalJson(value)).to.equal(reference(value));
      }),
      { numRuns: 300 },
    );
  });

  it('when any JSON value is hashed, then the revision is the first 16 hex digits of SHA-256 over the reference output (an absent template as {})', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(templateRevision(value)).to.equal(referenceRevision(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('when an object\'s members come in another order, then its canonical JSON is the same and parses back to the value', () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(reordered(value))).to.equal(text);
        expect(canonicalJson(JSON.parse(text))).to.equal(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('when given RFC 8785\'s number and string example, then the output is the RFC\'s', () => {
    const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}') as unknown;
    expect(canonicalJson(input)).to.equal('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('when member names need UTF-16 ordering, then they sort as in RFC 8785 section 3.2.3', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(canonicalJson(input)).to.equal(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('when numbers are special, then they read as ECMAScript writes them', () => {
    expect(canonicalJson([-0, 1e21, 1e-7, 0.1 + 0.2, 5e-324, 100, -1.5])).to.equal('[0,1e+21,1e-7,0.30000000000000004,5e-324,100,-1.5]');
  });

  it('when strings hold control characters, quotes, astral characters and lone surrogates, then they are escaped as JSON.stringify escapes them', () => {
    expect(canonicalJson('a"b\\c\n\u0001\u007f\u2028\ud83d\ude00\ud800x\udc00')).to.equal(JSON.stringify('a"b\\c\n\u0001\u007f\u2028\ud83d\ude00\ud800x\udc00'));
  });

  it('when members or items are undefined, then members are dropped and items become null', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1] })).to.equal('{"a":[null,1]}');
    expect(canonicalJson(undefined)).to.equal('null');
  });

  it('when a number is not finite, then canonicalisation throws', () => {
    for (const bad of [NaN, Infinity, -Infinity]) expect(() => canonicalJson({ a: [bad] })).to.throw(TypeError, /non-finite/);
  });

  it('when a value is larger than the scratch buffer, then it is serialised whole', () => {
    const big = { data: 'x'.repeat(100_000), items: Array.from({ length: 5000 }, (_, i) => ({ i, s: `é${i}` })) };
    expect(canonicalJson(big)).to.equal(reference(big));
    expect(canonicalJson({ small: true })).to.equal('{"small":true}');
  });

  it('when the fixtures\' templates are hashed, then the revisions are the ones recorded before the serialiser was rewritten', () => {
    expect(templateRevision(fixtureTemplate('deployment-realistic-10kb', 'object'))).to.equal('cfa1f61253ca4014');
    expect(templateRevision(fixtureTemplate('deployment-realistic-10kb', 'oldObject'))).to.equal('2a9e72d84c087d10');
    expect(templateRevision(fixtureTemplate('daemonset-set-image', 'object'))).to.equal('a6c72e474532d92b');
    expect(templateRevision(fixtureTemplate('daemonset-set-image', 'oldObject'))).to.equal('39db688151e3897a');
    expect(templateRevision(undefined)).to.equal('44136fa355b3678a');
    expect(templateRevision({})).to.equal('44136fa355b3678a');
  });
});
