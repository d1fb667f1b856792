// deploy/crds are src/api/crds.ts written out. Run with UPDATE_CRDS=1 to rewrite them after a
// schema change; otherwise this suite fails when they drift.

import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { crdManifests, type CustomResourceDefinition } from '../../../src/api/crds.js';
import { FieldPath, formatFieldError } from '../../../src/api/field-errors.js';
import { checkStructure } from '../../../src/api/schema-check.js';
import type { Schema } from '../../../src/api/schema-openapi.js';
import { Report } from '../../../src/api/validate-context.js';
import { exampleDocs, repoRoot } from './helpers.js';

const crdDir = path.join(repoRoot, 'deploy/crds');
const HEADER = '# Generated from src/api/schema-*.ts by test/unit/api/crds.test.ts (UPDATE_CRDS=1). Do not edit.\n';
const fileOf = (crd: CustomResourceDefinition): string => `${crd.spec.names.singular}.yaml`;

if (process.env.UPDATE_CRDS === '1') {
  for (const crd of crdManifests()) writeFileSync(path.join(crdDir, fileOf(crd)), HEADER + stringify(crd, { lineWidth: 0 }));
  const resources = crdManifests().map((crd) => `  - ${fileOf(crd)}`).join('\n');
  writeFileSync(
    path.join(crdDir, 'kustomization.yaml'),
    `${HEADER}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources}\n`,
  );
}

const written = (crd: CustomResourceDefinition): CustomResourceDefinition =>
  parse(readFileSync(path.join(crdDir, fileOf(crd)), 'utf8')) as CustomResourceDefinition;

/** Every node the walk visits, with its path, for the structural-schema rules. */
function* nodes(schema: Schema, at = ''): Generator<[string, Schema]> {
  yield [at, schema];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, `${at}.${key}`);
  if (schema.additionalProperties) yield* nodes(schema.additionalProperties, `${at}[*]`);
  if (schema.items) yield* nodes(schema.items, `${at}[]`);
}

describe('CRDs (deploy/crds)', () => {
  for (const crd of crdManifests()) {
    const kind = crd.spec.names.kind;
    it(`when the ${kind} CRD is read from deploy/crds, then it equals the schema model`, () => {
      expect(written(crd)).to.deep.equal(JSON.parse(JSON.stringify(crd)));
    });

    it(`when the ${kind} schema is walked, then it is structural: every node typed, no preserved unknown fields`, () => {
      const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
      for (const [at, node] of nodes(root)) {
        const typed = node.type !== undefined || node['x-kubernetes-int-or-string'] === true;
        expect(typed, `${at || '<root>'} has a type`).to.equal(true);
        expect(node.properties && node.additionalProperties, `${at} has properties or additionalProperties, not both`).to.not.be.ok;
        expect(node, at).to.not.have.property('x-kubernetes-preserve-unknown-fields');
      }
    });

    it(`when the ${kind} CRD is inspected, then it is namespaced, in category all, with a status subresource`, () => {
      expect(crd.spec.scope).to.equal('Namespaced');
      expect(crd.spec.names.categories).to.deep.equal(['all']);
      expect(crd.spec.versions[0]!.subresources).to.deep.equal({ status: {} });
    });
  }

  it('when the Canary CRD is printed, then its columns are Flagger\'s', () => {
    const columns = crdManifests()[0]!.spec.versions[0]!.additionalPrinterColumns;
    expect(columns.map((c) => [c.name, c.jsonPath, c.priority ?? 0])).to.deep.equal([
      ['Status', '.status.phase', 0],
      ['Weight', '.status.canaryWeight', 0],
      ['Suspended', '.spec.suspend', 1],
      ['FailedChecks', '.status.failedChecks', 1],
      ['Interval', '.spec.analysis.interval', 1],
      ['Mirror', '.spec.analysis.mirror', 1],
      ['StepWeight', '.spec.analysis.stepWeight', 1],
      ['StepWeights', '.spec.analysis.stepWeights', 1],
      ['MaxWeight', '.spec.analysis.maxWeight', 1],
      ['LastTransitionTime', '.status.lastTransitionTime', 0],
    ]);
  });

  it('when the kustomization is read, then it lists the three CRDs', () => {
    const kustomization = parse(readFileSync(path.join(crdDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(kustomization.resources).to.deep.equal(['canary.yaml', 'metrictemplate.yaml', 'alertprovider.yaml']);
  });

  // The schema as the API server reads it, from the YAML file: every enum is enforced here.
  for (const { file, doc } of exampleDocs().filter((e) => e.doc.apiVersion === 'flagger.app/v1beta1')) {
    it(`when ${file} (${doc.kind}) is checked against the written CRD schema, then it is accepted as written`, () => {
      const crd = crdManifests().find((c) => c.spec.names.kind === doc.kind)!;
      const report = new Report();
      checkStructure(doc, written(crd).spec.versions[0]!.schema.openAPIV3Schema, FieldPath.root(''), report);
      expect(report.errors.map(formatFieldError)).to.deep.equal([]);
    });
  }
});
