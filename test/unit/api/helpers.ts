// Shared test helpers: repository paths, YAML fixtures (cloned per use), the shared examples.
/* eslint-disable @typescript-eslint/no-explicit-any -- tests mutate fixture documents freely */

import { readFileSync, readdirSync } from 'node:fs';
import { DAVY_PROVIDERS, providersWith } from '../../../src/api/providers.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const examplesDir = path.resolve(repoRoot, '../shared/examples');
export const fixturesDir = path.join(repoRoot, 'test/fixtures/api');

/** A fresh copy of a YAML fixture under test/fixtures/api. */
/** A parsed manifest, mutated freely by tests. */
export type Doc = Record<string, any>;

export function fixture<T = Doc>(name: string): T {
  return parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as T;
}

export interface ExampleDoc {
  file: string;
  doc: Doc;
}

/** Every document of every shared example manifest. */
export function exampleDocs(): ExampleDoc[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(examplesDir, file), 'utf8'))
        .map((d) => d.toJS() as Doc)
        .filter((doc) => doc !== null)
        .map((doc) => ({ file, doc })),
    );
}

export const flaggerExamples = (): ExampleDoc[] => exampleDocs().filter((e) => e.doc.apiVersion === 'flagger.app/v1beta1');

/** One invalid spec: a valid fixture, a mutation, and the exact formatted errors expected. */
export interface InvalidCase {
  /** The rule (a MESSAGES key or a schema rule) the case exercises. */
  rule: string;
  when: string;
  fixture: string;
  mutate: (doc: Doc) => void;
  errors: string[];
}

export const long = (n: number, c = 'a'): string => c.repeat(n);
export const DAVY_PROVIDER_LIST = DAVY_PROVIDERS.map((p) => `"${p}"`).join(', ');
/** The providers that route A/B matches, as the providerCapability message lists them. */
export const AB_PROVIDER_LIST = providersWith('abMatch').join(', ');
