// The three CustomResourceDefinitions as data. deploy/crds/*.yaml are these objects written out;
// test/unit/api/crds.test.ts fails when they differ (and rewrites them with UPDATE_CRDS=1).

import { GROUP, VERSION } from './keys.js';
import { canarySpecSchema, canaryStatusSchema, conditionSchema } from './schema-canary.js';
import type { Schema } from './schema-openapi.js';
import { alertProviderSpecSchema, genericStatusSchema, metricTemplateSpecSchema } from './schema-templates.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'boolean' | 'integer' | 'date';
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; categories: string[]; shortNames?: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: true;
      storage: true;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

const root = (description: string, spec: Schema, status: Schema): Schema => ({
  description,
  type: 'object',
  properties: {
    apiVersion: { type: 'string', description: 'The versioned schema of this object' },
    kind: { type: 'string', description: 'The REST resource this object represents' },
    metadata: { type: 'object' },
    spec,
    status,
  },
});

function crd(kind: string, plural: string, columns: PrinterColumn[], schema: Schema): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'davy' } },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

const CANARY_COLUMNS: PrinterColumn[] = [
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
  { name: 'Weight', type: 'string', jsonPath: '.status.canaryWeight' },
  { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
  { name: 'FailedChecks', type: 'string', jsonPath: '.status.failedChecks', priority: 1 },
  { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1 },
  { name: 'Mirror', type: 'boolean', jsonPath: '.spec.analysis.mirror', priority: 1 },
  { name: 'StepWeight', type: 'string', jsonPath: '.spec.analysis.stepWeight', priority: 1 },
  { name: 'StepWeights', type: 'string', jsonPath: '.spec.analysis.stepWeights', priority: 1 },
  { name: 'MaxWeight', type: 'string', jsonPath: '.spec.analysis.maxWeight', priority: 1 },
  { name: 'LastTransitionTime', type: 'string', jsonPath: '.status.lastTransitionTime' },
];

export function crdManifests(): CustomResourceDefinition[] {
  const status = genericStatusSchema(conditionSchema());
  return [
    crd('Canary', 'canaries', CANARY_COLUMNS, root('A progressive delivery of a Deployment or DaemonSet', canarySpecSchema(), canaryStatusSchema())),
    crd(
      'MetricTemplate',
      'metrictemplates',
      [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider.type' }],
      root('A query run by canary analyses', metricTemplateSpecSchema(), status),
    ),
    crd(
      'AlertProvider',
      'alertproviders',
      [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }],
      root('A chat service canary alerts are sent to', alertProviderSpecSchema(), status),
    ),
  ];
}
