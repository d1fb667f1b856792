// Checks that need the cluster: references resolve, the target is not another Canary's, and the
// names Davy will create are free. ClusterLookup is the slice of the KubeClient port these need
// (src/kube's client satisfies it structurally). The functions reject only when the lookup does.

import { decideAddress, notAServiceReason, type AddressPolicy } from './address-policy.js';
import { FieldPath, type ValidationResult } from './field-errors.js';
import { API_VERSION, LABEL_MANAGED_BY_CANARY } from './keys.js';
import { KNATIVE_API_VERSION } from './providers.js';
import { templateSharedWith } from './template-sharing.js';
import { asArray, asRecord, asString, Report, type Json } from './validate-context.js';

export interface ClusterObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ClusterObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: unknown;
}

export interface ClusterLookup {
  /** The object, or undefined when it does not exist. */
  get(ref: ClusterObjectRef): Promise<ClusterObject | undefined>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<{ items: ClusterObject[] }>;
}

export interface ClusterCheckOptions {
  /** Namespace of an object whose metadata names none (the CLI's --namespace). Default "default". */
  namespace?: string;
  /**
   * Whether a secretRef's Secret is looked up. The webhook may not read Secrets (docs/security.md:
   * a grant to GET one is a grant to read them all, for a check the stepper makes anyway), so the
   * default is `skip`, which says so in a warning; `davy validate --cluster` checks with the
   * user's own rights.
   */
  secrets?: 'check' | 'skip';
  /**
   * The stepper's --allowed-hosts, when known (the webhook's own flag of that name): a hook URL or
   * provider address outside it is a warning (`addressNotAllowed`), since the stepper will refuse
   * to call it and fail the check. Not a denial: the operator may widen the policy later.
   */
  addressPolicy?: AddressPolicy;
  /** The stepper's --alert-hosts, when known: the same warning for AlertProviders' addresses and proxies. */
  alertPolicy?: AddressPolicy;
}

const SPEC = FieldPath.root('spec');
const quoted = (s: string): string => JSON.stringify(s);

interface Check {
  ref: ClusterObjectRef;
  /** Called with the object found (or undefined): reports through `report`. */
  verdict: (found: ClusterObject | undefined, report: Report) => void;
}

const mustExist = (ref: ClusterObjectRef, path: FieldPath): Check => ({
  ref,
  verdict: (found, report) => {
    if (!found) report.notFound(path, ref.name, 'notFound', { kind: ref.kind, namespace: ref.namespace ?? '' });
  },
});

/** A name Davy creates must be absent, or already carry its owner label naming this Canary. */
const mustBeFree = (ref: ClusterObjectRef, path: FieldPath, canary: string, purpose: string): Check => ({
  ref,
  verdict: (found, report) => {
    if (found && found.metadata?.labels?.[LABEL_MANAGED_BY_CANARY] !== canary) {
      report.forbidden(path, 'nameCollision', { kind: ref.kind, name: quoted(ref.name), purpose });
    }
  },
});

async function run(checks: Check[], lookup: ClusterLookup, report: Report): Promise<void> {
  const found = await Promise.all(checks.map((c) => lookup.get(c.ref)));
  checks.forEach((c, i) => c.verdict(found[i], report));
}

function namespaceOf(obj: Json, options: ClusterCheckOptions): string {
  return asString(asRecord(obj.metadata)?.namespace) || options.namespace || 'default';
}

/**
 * A MetricTemplate of another namespace must exist; one not shared with the Canary's namespace
 * (template-sharing.ts) is a warning, not a denial. The guard is the stepper's, which never runs
 * an unshared template: admission stores the Canary so that Flagger's manifests apply unchanged
 * (its tutorials keep templates in flagger-system) and says what the check will do until the
 * template's owners share it.
 */
const mustBeShared = (ref: ClusterObjectRef, path: FieldPath, canaryNamespace: string): Check => ({
  ref,
  verdict: (found, report) => {
    if (!found) mustExist(ref, path).verdict(found, report);
    else if (!templateSharedWith(found, canaryNamespace)) {
      report.warn('templateNotSharedYet', { path: path.toString(), name: quoted(ref.name), namespace: ref.namespace ?? '', canaryNamespace });
    }
  },
});

type AddressWarning = 'addressNotAllowed' | 'alertAddressNotAllowed';

/** A warning when the stepper's policy refuses `address`; `<name>.<namespace>` is looked up as a Service. */
function addressChecks(
  address: string | undefined, path: FieldPath, policy: AddressPolicy | undefined, report: Report, warning: AddressWarning = 'addressNotAllowed',
): Check[] {
  if (!address || !policy) return [];
  const verdict = decideAddress(policy, address);
  if (verdict.verdict === 'refused') report.warn(warning, { path: path.toString(), reason: verdict.reason });
  if (verdict.verdict !== 'ifService') return [];
  const ref = { apiVersion: 'v1', kind: 'Service', name: verdict.name, namespace: verdict.namespace };
  return [{
    ref,
    verdict: (found, r) => {
      if (!found) r.warn(warning, { path: path.toString(), reason: notAServiceReason(policy, verdict.name, verdict.namespace) });
    },
  }];
}

function hookAddressChecks(analysis: Json, policy: AddressPolicy | undefined, report: Report): Check[] {
  return (asArray(analysis.webhooks) ?? []).flatMap((hook, i) =>
    addressChecks(asString(asRecord(hook)?.url), SPEC.child('analysis').child('webhooks').index(i).child('url'), policy, report));
}

function referenceChecks(analysis: Json, namespace: string): Check[] {
  const checks: Check[] = [];
  const refs = (list: string, field: string, kind: string): void =>
    (asArray(analysis[list]) ?? []).forEach((item, i) => {
      const ref = asRecord(asRecord(item)?.[field]);
      const name = asString(ref?.name);
      if (!name) return;
      const path = SPEC.child('analysis').child(list).index(i).child(field).child('name');
      const target = { apiVersion: API_VERSION, kind, name, namespace: asString(ref?.namespace) || namespace };
      checks.push(kind === 'MetricTemplate' ? mustBeShared(target, path, namespace) : mustExist(target, path));
    });
  refs('metrics', 'templateRef', 'MetricTemplate');
  refs('alerts', 'providerRef', 'AlertProvider');
  return checks;
}

function targetChecks(spec: Json, canary: string, namespace: string): Check[] {
  const target = asRecord(spec.targetRef);
  const apiVersion = asString(target?.apiVersion);
  const kind = asString(target?.kind);
  const name = asString(target?.name);
  if (!apiVersion || !kind || !name) return [];
  const path = SPEC.child('targetRef').child('name');
  // A Knative Service is its own routing: no copy and no Services are written beside it.
  if (apiVersion === KNATIVE_API_VERSION) return [mustExist({ apiVersion, kind, name, namespace }, path)];
  const checks = [
    mustExist({ apiVersion, kind, name, namespace }, path),
    mustBeFree({ apiVersion, kind, name: `${name}-canary`, namespace }, path, canary, 'the canary copy'),
  ];
  const service = asString(asRecord(spec.service)?.name);
  const svcPath = service ? SPEC.child('service').child('name') : path;
  const svc = service || name;
  for (const [suffix, purpose] of [['-primary', 'the primary service'], ['-canary', 'the canary service']] as const) {
    checks.push(mustBeFree({ apiVersion: 'v1', kind: 'Service', name: `${svc}${suffix}`, namespace }, svcPath, canary, purpose));
  }
  const scaler = asRecord(spec.autoscalerRef);
  const scalerName = asString(scaler?.name);
  const scalerKind = asString(scaler?.kind);
  const scalerApi = asString(scaler?.apiVersion);
  if (scalerName && scalerKind && scalerApi) {
    checks.push(mustExist({ apiVersion: scalerApi, kind: scalerKind, name: scalerName, namespace }, SPEC.child('autoscalerRef').child('name')));
  }
  return checks;
}

/** No other Canary in the namespace may target the same workload (the Canary itself, on UPDATE, does not count). */
async function checkTargetTaken(spec: Json, canary: string, namespace: string, lookup: ClusterLookup, report: Report): Promise<void> {
  const target = asRecord(spec.targetRef);
  const kind = asString(target?.kind);
  const name = asString(target?.name);
  if (!kind || !name) return;
  const { items } = await lookup.list(API_VERSION, 'Canary', namespace);
  for (const other of items) {
    const otherName = other.metadata?.name;
    const otherTarget = asRecord(asRecord(other.spec)?.targetRef);
    if (otherName === canary || asString(otherTarget?.kind) !== kind || asString(otherTarget?.name) !== name) continue;
    report.forbidden(SPEC.child('targetRef'), 'targetTaken', { other: quoted(otherName ?? ''), kind, name: quoted(name) });
  }
}

export async function checkCanaryAgainstCluster(canary: unknown, lookup: ClusterLookup, options: ClusterCheckOptions = {}): Promise<ValidationResult> {
  const report = new Report();
  const obj = asRecord(canary);
  const spec = asRecord(obj?.spec);
  if (!obj || !spec) return report.result();
  const name = asString(asRecord(obj.metadata)?.name) ?? '';
  const namespace = namespaceOf(obj, options);
  const analysis = asRecord(spec.analysis) ?? {};
  const checks = [...targetChecks(spec, name, namespace), ...referenceChecks(analysis, namespace), ...hookAddressChecks(analysis, options.addressPolicy, report)];
  await Promise.all([run(checks, lookup, report), checkTargetTaken(spec, name, namespace, lookup, report)]);
  return report.result();
}

/** The Secret a MetricTemplate's or AlertProvider's secretRef names lives in its own namespace. */
async function checkSecretRef(obj: unknown, secretRef: unknown, path: FieldPath, lookup: ClusterLookup, options: ClusterCheckOptions): Promise<ValidationResult> {
  const report = new Report();
  const name = asString(asRecord(secretRef)?.name);
  const record = asRecord(obj);
  if (record && name && options.secrets !== 'check') {
    report.warn('secretNotChecked', { path: path.toString(), name: quoted(name) });
  } else if (record && name) {
    await run([mustExist({ apiVersion: 'v1', kind: 'Secret', name, namespace: namespaceOf(record, options) }, path)], lookup, report);
  }
  return report.result();
}

/** A secretRef's check and those of the addresses a policy decides, together. */
async function secretAndAddresses(
  obj: unknown, secretRef: unknown, secretPath: FieldPath, addresses: [unknown, FieldPath][],
  policy: AddressPolicy | undefined, warning: AddressWarning, lookup: ClusterLookup, options: ClusterCheckOptions,
): Promise<ValidationResult> {
  const secret = await checkSecretRef(obj, secretRef, secretPath, lookup, options);
  const report = new Report();
  await run(addresses.flatMap(([address, path]) => addressChecks(asString(address), path, policy, report, warning)), lookup, report);
  const found = report.result();
  return { errors: [...secret.errors, ...found.errors], warnings: [...secret.warnings, ...found.warnings] };
}

export function checkMetricTemplateAgainstCluster(template: unknown, lookup: ClusterLookup, options: ClusterCheckOptions = {}): Promise<ValidationResult> {
  const provider = asRecord(asRecord(asRecord(template)?.spec)?.provider);
  const at = SPEC.child('provider');
  const addresses: [unknown, FieldPath][] = [[provider?.address, at.child('address')]];
  return secretAndAddresses(template, provider?.secretRef, at.child('secretRef').child('name'), addresses, options.addressPolicy, 'addressNotAllowed', lookup, options);
}

export function checkAlertProviderAgainstCluster(provider: unknown, lookup: ClusterLookup, options: ClusterCheckOptions = {}): Promise<ValidationResult> {
  const spec = asRecord(asRecord(provider)?.spec);
  const addresses: [unknown, FieldPath][] = [[spec?.address, SPEC.child('address')], [spec?.proxy, SPEC.child('proxy')]];
  return secretAndAddresses(provider, spec?.secretRef, SPEC.child('secretRef').child('name'), addresses, options.alertPolicy, 'alertAddressNotAllowed', lookup, options);
}

/** Dispatches on kind; other kinds have nothing to check. */
export function checkResourceAgainstCluster(obj: unknown, lookup: ClusterLookup, options: ClusterCheckOptions = {}): Promise<ValidationResult> {
  switch (asString(asRecord(obj)?.kind)) {
    case 'Canary':
      return checkCanaryAgainstCluster(obj, lookup, options);
    case 'MetricTemplate':
      return checkMetricTemplateAgainstCluster(obj, lookup, options);
    case 'AlertProvider':
      return checkAlertProviderAgainstCluster(obj, lookup, options);
    default:
      return Promise.resolve({ errors: [], warnings: [] });
  }
}

/**
 * A lookup that sees `objects` (e.g. the other documents given to `davy validate`) on top of the
 * cluster, so a Canary validates against the Deployment applied with it. Objects need a namespace.
 */
export function overlayLookup(base: ClusterLookup, objects: readonly ClusterObject[]): ClusterLookup {
  const same = (o: ClusterObject, apiVersion: string, kind: string, namespace?: string): boolean =>
    o.apiVersion === apiVersion && o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace);
  return {
    get: (ref) => {
      const local = objects.find((o) => same(o, ref.apiVersion, ref.kind, ref.namespace) && o.metadata?.name === ref.name);
      return local ? Promise.resolve(local) : base.get(ref);
    },
    list: async (apiVersion, kind, namespace) => {
      const local = objects.filter((o) => same(o, apiVersion, kind, namespace));
      const key = (o: ClusterObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      const shadowed = new Set(local.map(key));
      const { items } = await base.list(apiVersion, kind, namespace);
      return { items: [...items.filter((o) => !shadowed.has(key(o))), ...local] };
    },
  };
}
