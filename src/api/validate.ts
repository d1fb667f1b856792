// The one validator the webhook, the CLI and the stepper share. Pure: it takes any value (parsed
// YAML, an AdmissionReview's object) and returns every error with its path, and warnings; it never
// throws. Structure comes first (the CRD schema, so kubectl and `davy validate` agree), then the
// semantic rules of validate-*.ts.

import { FieldPath, type ValidationResult } from './field-errors.js';
import { API_VERSION } from './keys.js';
import { looksLikeDns1123Label } from './names.js';
import type { ProviderName } from './providers.js';
import { CANARY_SPEC_SCHEMA } from './schema-canary.js';
import { checkStructure } from './schema-check.js';
import type { Schema } from './schema-openapi.js';
import { ALERT_PROVIDER_SPEC_SCHEMA, METRIC_TEMPLATE_SPEC_SCHEMA } from './schema-templates.js';
import { strategyOf } from './strategy.js';
import { FLAGGER_KINDS, type CanarySpec, type FlaggerKind } from './types.js';
import { checkAnalysis } from './validate-analysis.js';
import { checkAutoscalerRef, checkProvider, checkScalars, checkTargetRef } from './validate-canary.js';
import { checkSubdomain, SERVICE_NAME_MAX } from './validate-common.js';
import { asRecord, asString, isSet, Report, type CanaryContext, type Json } from './validate-context.js';
import { checkGatewayApi } from './validate-gatewayapi.js';
import { checkAlerts, checkWebhooks } from './validate-hooks.js';
import { checkMetrics } from './validate-metrics.js';
import { checkService } from './validate-service.js';
import { checkAlertProviderSpec, checkMetricTemplateSpec } from './validate-templates.js';

export interface ValidateOptions {
  /** The stepper's --mesh-provider: the provider of a Canary that names none (default istio). */
  meshProvider?: ProviderName;
}

/** The path of errors about the value as a whole (not an object, unexpected failure). */
export const ROOT_PATH = '<root>';
const ROOT = FieldPath.root(ROOT_PATH);
const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** Dispatches on apiVersion and kind; anything that is not one of the three kinds is an error. */
export function validateResource(obj: unknown, options: ValidateOptions = {}): ValidationResult {
  return guarded(obj, (report) => {
    const record = checkEnvelope(obj, report, undefined);
    const kind = asString(record?.kind);
    if (record && kind && (FLAGGER_KINDS as readonly string[]).includes(kind)) checkKind(record, kind as FlaggerKind, report, options);
  });
}

export function validateCanary(obj: unknown, options: ValidateOptions = {}): ValidationResult {
  return validateKind(obj, 'Canary', options);
}

export function validateMetricTemplate(obj: unknown): ValidationResult {
  return validateKind(obj, 'MetricTemplate', {});
}

export function validateAlertProvider(obj: unknown): ValidationResult {
  return validateKind(obj, 'AlertProvider', {});
}

function validateKind(obj: unknown, kind: FlaggerKind, options: ValidateOptions): ValidationResult {
  return guarded(obj, (report) => {
    const record = checkEnvelope(obj, report, kind);
    if (record) checkKind(record, kind, report, options);
  });
}

/** The last line of defence for the never-throws contract: a bug becomes an error, not a crash. */
function guarded(obj: unknown, run: (report: Report) => void): ValidationResult {
  const report = new Report();
  try {
    run(report);
  } catch (error) {
    report.invalid(ROOT, typeof obj, 'internalError', { error: error instanceof Error ? error.message : String(error) });
  }
  return report.result();
}

function checkEnvelope(obj: unknown, report: Report, expectedKind: FlaggerKind | undefined): Json | undefined {
  const record = asRecord(obj);
  if (!record) {
    report.invalid(ROOT, obj === null ? null : Array.isArray(obj) ? 'list' : typeof obj, 'notAnObject');
    return undefined;
  }
  const apiVersion = record.apiVersion;
  if (!isSet(apiVersion)) report.required(FieldPath.root('apiVersion'));
  else if (apiVersion !== API_VERSION) report.notSupported(FieldPath.root('apiVersion'), apiVersion, [API_VERSION]);
  const kind = record.kind;
  const kinds = expectedKind ? [expectedKind] : FLAGGER_KINDS;
  if (!isSet(kind)) report.required(FieldPath.root('kind'));
  else if (!(kinds as readonly string[]).includes(kind as string)) report.notSupported(FieldPath.root('kind'), kind, kinds);
  for (const key of Object.keys(record)) if (!TOP_LEVEL.has(key)) report.forbidden(FieldPath.root('').child(key), 'unknownField');
  return record;
}

const SPEC_SCHEMAS: Record<FlaggerKind, Schema> = {
  Canary: CANARY_SPEC_SCHEMA,
  MetricTemplate: METRIC_TEMPLATE_SPEC_SCHEMA,
  AlertProvider: ALERT_PROVIDER_SPEC_SCHEMA,
};

function checkKind(record: Json, kind: FlaggerKind, report: Report, options: ValidateOptions): void {
  checkMetadata(record.metadata, kind, report);
  const specPath = FieldPath.root('spec');
  if (!isSet(record.spec)) {
    report.required(specPath);
    return;
  }
  let spec = asRecord(record.spec);
  if (!spec) {
    checkStructure(record.spec, { type: 'object' }, specPath, report);
    return;
  }
  if (kind === 'Canary' && isSet(spec.canaryAnalysis)) {
    report.forbidden(specPath.child('canaryAnalysis'), 'deprecatedAlias');
    spec = Object.fromEntries(Object.entries(spec).filter(([key]) => key !== 'canaryAnalysis'));
  }
  checkStructure(spec, SPEC_SCHEMAS[kind], specPath, report);
  if (kind === 'Canary') checkCanarySpec(spec, report, options);
  else if (kind === 'MetricTemplate') checkMetricTemplateSpec(spec, report);
  else checkAlertProviderSpec(spec, report);
}

/** A Canary's name is a DNS-1123 label short enough for `<name>-primary`; the others are subdomains. */
function checkMetadata(value: unknown, kind: FlaggerKind, report: Report): void {
  const path = FieldPath.root('metadata');
  if (!isSet(value)) {
    report.required(path);
    return;
  }
  const metadata = asRecord(value);
  if (!metadata) {
    checkStructure(value, { type: 'object' }, path, report);
    return;
  }
  checkStructure(metadata.name, { type: 'string' }, path.child('name'), report);
  checkStructure(metadata.namespace, { type: 'string' }, path.child('namespace'), report);
  const name = asString(metadata.name);
  if (!isSet(metadata.name) && !isSet(metadata.generateName)) report.required(path.child('name'));
  if (name !== undefined && kind === 'Canary') {
    if (!looksLikeDns1123Label(name)) report.invalid(path.child('name'), name, 'dns1123Label');
    else if (name.length > SERVICE_NAME_MAX) report.tooLong(path.child('name'), 'nameTooLong', { max: SERVICE_NAME_MAX, derived: `"${name}-primary"` });
  } else if (name !== undefined) {
    checkSubdomain(name, path.child('name'), report);
  }
}

function checkCanarySpec(spec: Json, report: Report, options: ValidateOptions): void {
  const provider = checkProvider(spec, report, options.meshProvider);
  const strategy = strategyOf(spec as unknown as CanarySpec, provider);
  const ctx: CanaryContext = { report, provider, strategy, spec };
  checkTargetRef(spec, report, provider);
  checkAutoscalerRef(spec, report);
  checkService(ctx);
  checkGatewayApi(ctx);
  const intervalMs = checkAnalysis(ctx);
  const analysis = asRecord(spec.analysis);
  if (analysis) {
    checkMetrics(analysis, report);
    checkWebhooks(ctx, analysis, intervalMs);
    checkAlerts(ctx, analysis);
  }
  checkScalars(ctx);
}
