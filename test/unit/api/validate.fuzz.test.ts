// Random and mutated specs through the validator (issue 11): it never throws, every error has a
// field path and a message, and a result is the same on a second run. 2,000 specs per property in
// `make test`; `make fuzz` runs 100,000 (DAVY_FUZZ_SPECS). Seeded: a failure prints its seed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { formatFieldError } from '../../../src/api/field-errors.js';
import { validateResource } from '../../../src/api/validate.js';
import { repoRoot } from './helpers.js';

const SEED = Number(process.env.DAVY_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.DAVY_FUZZ_SPECS ?? 2000);
const fixture = (file: string): Record<string, unknown> =>
  parseYaml(readFileSync(path.join(repoRoot, 'test/fixtures/api', file), 'utf8')) as Record<string, unknown>;
const SEEDS = ['canary-istio.yaml', 'canary-ab.yaml', 'metrictemplate.yaml', 'alertprovider.yaml'].map(fixture);

/** Every path to a value in `value`, as key lists. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

/** A fixture with one value somewhere replaced by a random JSON value (or removed). */
const mutated = fc.tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined))).map(([seed, at, replacement]) => {
  const copy = structuredClone(seed);
  const all = paths(copy).filter((p) => p.length > 0);
  const target = all[at % all.length]!;
  let parent: Record<string | number, unknown> = copy;
  for (const key of target.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = target[target.length - 1]!;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
});

const randomSpec = fc.record({
  apiVersion: fc.constantFrom('flagger.app/v1beta1', 'flagger.app/v1', 'x'),
  kind: fc.constantFrom('Canary', 'MetricTemplate', 'AlertProvider', 'Other'),
  metadata: fc.oneof(fc.record({ name: fc.string(), namespace: fc.string() }), fc.jsonValue({ maxDepth: 2 })),
  spec: fc.jsonValue({ maxDepth: 4 }),
}, { requiredKeys: [] });

function checkResult(input: unknown): void {
  const first = validateResource(input);
  for (const error of first.errors) {
    expect(typeof error.path).to.equal('string');
    expect(formatFieldError(error)).to.be.a('string').and.not.equal('');
  }
  expect(validateResource(input)).to.deep.equal(first);
}

describe(`validator fuzzing (${RUNS} specs per property, seed ${SEED})`, function () {
  this.timeout(process.env.DAVY_FUZZ_SPECS ? 3_600_000 : 60_000);

  it('when a fixture has one value replaced or removed, then the validator answers without throwing, every error with its path', () => {
    fc.assert(fc.property(mutated, checkResult), { numRuns: RUNS, seed: SEED });
  });

  it('when a spec is random JSON under a Flagger kind, then the validator answers without throwing', () => {
    fc.assert(fc.property(randomSpec, checkResult), { numRuns: RUNS, seed: SEED + 1 });
  });
});
