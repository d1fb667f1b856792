// Property tests: whatever it is given, the validator returns (never throws), every error has a
// path, and the never-throws guard never fires (it would hide a bug).

import { expect } from 'chai';
import fc from 'fast-check';
import { formatFieldError, type ValidationResult } from '../../../src/api/field-errors.js';
import { effectiveAnalysis } from '../../../src/api/defaults.js';
import { MESSAGES } from '../../../src/api/messages.js';
import type { CanarySpec } from '../../../src/api/types.js';
import { validateResource } from '../../../src/api/validate.js';
import { fixture, flaggerExamples, type Doc } from './helpers.js';

const internal = MESSAGES.internalError.split('(')[0]!;

function assertWellFormed(result: ValidationResult): void {
  for (const error of result.errors) {
    expect(error.path, JSON.stringify(error)).to.be.a('string').and.not.equal('');
    expect(error.detail, JSON.stringify(error)).to.not.include(internal);
    expect(formatFieldError(error)).to.be.a('string');
  }
  for (const warning of result.warnings) expect(warning).to.be.a('string').and.not.equal('');
}

const bases = (): Doc[] => [
  fixture('canary-istio.yaml'),
  fixture('canary-ab.yaml'),
  fixture('metrictemplate.yaml'),
  fixture('alertprovider.yaml'),
  ...flaggerExamples().map((e) => e.doc),
];

/** Every container (object or list) in a document, with the keys it holds. */
function containers(value: unknown, out: [Doc | unknown[], string | number][] = []): [Doc | unknown[], string | number][] {
  if (Array.isArray(value)) value.forEach((item, i) => (out.push([value, i]), containers(item, out)));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) (out.push([value, k]), containers(v, out));
  return out;
}

const interesting = fc.oneof(
  fc.constantFrom<unknown>(null, '', '0s', '1m', '5s', 'soon', -1, 0, 1, 50, 100, 101, 65536, 1.5, true, [], {}, [0], ['x'], { exact: 'a', regex: 'b' }, 'istio', 'nginx', 'DaemonSet', '{{ x', 'http://x/'),
  fc.jsonValue({ maxDepth: 2 }),
);

const mutation = fc.tuple(fc.nat(), fc.oneof(fc.constant<'delete'>('delete'), interesting));

describe('validateResource: properties', () => {
  it('when given thousands of random JSON values, then it never throws and every error has a path', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => assertWellFormed(validateResource(value))),
      { numRuns: 1500 },
    );
  }).timeout(60_000);

  it('when given random objects with a flagger.app envelope, then it never throws and every error has a path', () => {
    const envelope = fc.record({
      apiVersion: fc.constant('flagger.app/v1beta1'),
      kind: fc.constantFrom('Canary', 'MetricTemplate', 'AlertProvider'),
      metadata: fc.jsonValue({ maxDepth: 2 }),
      spec: fc.jsonValue({ maxDepth: 4 }),
    });
    fc.assert(fc.property(envelope, (value) => assertWellFormed(validateResource(value))), { numRuns: 1500 });
  }).timeout(60_000);

  it('when valid specs are mutated at random places, then it never throws and every error has a path', () => {
    const docs = bases();
    fc.assert(
      fc.property(fc.nat({ max: docs.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, edits) => {
        const doc = structuredClone(docs[which]!);
        for (const [at, value] of edits) {
          const all = containers(doc);
          if (all.length === 0) break;
          const [container, key] = all[at % all.length]!;
          if (value === 'delete') {
            if (Array.isArray(container)) container.splice(key as number, 1);
            else delete container[key];
          } else (container as Record<string | number, unknown>)[key] = structuredClone(value);
        }
        const result = validateResource(doc);
        assertWellFormed(result);
        if (doc.kind === 'Canary' && doc.spec && typeof doc.spec === 'object') effectiveAnalysis(doc.spec as CanarySpec);
      }),
      { numRuns: 3000 },
    );
  }).timeout(60_000);
});
