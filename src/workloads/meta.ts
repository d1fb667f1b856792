// Metadata of the objects Davy writes: who owns what, which of the user's keys may be copied, the
// selector label that tells the stable pods from the copy's, and the record kept on adopted objects.
import {
  ANNOTATION_ADOPTED,
  ANNOTATION_LAST_APPLIED,
  API_VERSION,
  FLUX_ANNOTATIONS,
  isDavyKey,
  LABEL_MANAGED_BY_CANARY,
} from '../api/keys.js';
import type { Canary, CustomMetadata } from '../api/types.js';
import type { KubeObject, ObjectMeta, OwnerReference } from '../kube/client.js';
import { fail, ok, type Result } from './result.js';
import type { LabelSelector, Workload } from './types.js';

/** Flagger's default `-selector-labels`, in order: the first one in the target's selector is used. */
export const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;
export const MAX_LABEL_VALUE = 63;

export interface SelectorLabel {
  key: string;
  /** The value on the stable pods, e.g. `podinfo`. */
  value: string;
  /** The value on the copy's pods, e.g. `podinfo-canary`. */
  canaryValue: string;
}

export function selectorLabel(workload: Workload, suffix = '-canary'): Result<SelectorLabel> {
  const matchLabels = workload.spec?.selector?.matchLabels ?? {};
  const key = SELECTOR_LABELS.find((k) => typeof matchLabels[k] === 'string');
  const name = `${workload.kind} ${workload.metadata.namespace ?? ''}/${workload.metadata.name ?? ''}`;
  if (key === undefined) {
    return fail('SelectorLabelMissing', `${name}: spec.selector.matchLabels must contain one of ${SELECTOR_LABELS.join(', ')}`);
  }
  const value = matchLabels[key] ?? '';
  const canaryValue = `${value}${suffix}`;
  if (canaryValue.length > MAX_LABEL_VALUE) {
    return fail('NameTooLong', `${name}: label value ${JSON.stringify(canaryValue)} would exceed ${MAX_LABEL_VALUE} characters`);
  }
  return ok({ key, value, canaryValue });
}

/** The user's matchLabels with the selector label set to `value`: a Service selector for one side. */
export function sideSelector(selector: LabelSelector | undefined, label: SelectorLabel, value: string): Record<string, string> {
  return { ...(selector?.matchLabels ?? {}), [label.key]: value };
}

export function canaryOwnerReference(canary: Canary): OwnerReference | undefined {
  const { name, uid } = canary.metadata;
  if (!name || !uid) return undefined;
  return { apiVersion: API_VERSION, kind: 'Canary', name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * Keys never copied from the user's object to Davy's: Davy's own, kubectl's applied record, the
 * marks by which GitOps tools claim objects (a copy carrying them would be pruned or reverted), and
 * state written by controllers about the original.
 */
const notCopied = (key: string): boolean =>
  isDavyKey(key) ||
  key === ANNOTATION_LAST_APPLIED ||
  key.includes('toolkit.fluxcd.io') ||
  key.startsWith('argocd.argoproj.io/') ||
  key === 'deployment.kubernetes.io/revision' ||
  key === 'deprecated.daemonset.template.generation' ||
  key.startsWith('autoscaling.keda.sh/');

export function copyable(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !notCopied(key)));
}

/** Metadata of an object Davy creates and owns: its label, Flux's opt-outs, the Canary as controller. */
export function ownedMetadata(canary: Canary, name: string, custom: CustomMetadata = {}): ObjectMeta {
  const owner = canaryOwnerReference(canary);
  return {
    name,
    namespace: canary.metadata.namespace ?? '',
    labels: { ...(custom.labels ?? {}), [LABEL_MANAGED_BY_CANARY]: canary.metadata.name ?? '' },
    annotations: { ...(custom.annotations ?? {}), ...FLUX_ANNOTATIONS },
    ...(owner ? { ownerReferences: [owner] } : {}),
  };
}

export type Ownership =
  | { kind: 'ours' }
  | { kind: 'adopted' }
  | { kind: 'unowned' }
  | { kind: 'foreign'; owner: string };

const isCanaryRef = (ref: OwnerReference): boolean => ref.kind === 'Canary' && ref.apiVersion.startsWith('flagger.app/');

/**
 * Whose an existing object is. A controller reference to a Canary of the same name counts as ours
 * (an earlier incarnation of this Canary, or Flagger's), so a re-created Canary takes its objects back.
 */
export function ownershipOf(object: KubeObject, canary: Canary): Ownership {
  const name = canary.metadata.name ?? '';
  const controller = (object.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  const label = object.metadata.labels?.[LABEL_MANAGED_BY_CANARY];
  if (controller && !(isCanaryRef(controller) && controller.name === name)) {
    return { kind: 'foreign', owner: `${controller.kind}/${controller.name}` };
  }
  if (label !== undefined && label !== name) return { kind: 'foreign', owner: `Canary/${label}` };
  if (controller || label === name) return { kind: 'ours' };
  const adopted = adoptionRecord(object);
  if (adopted) return adopted.canary === name ? { kind: 'adopted' } : { kind: 'foreign', owner: `Canary/${adopted.canary}` };
  return { kind: 'unowned' };
}

/** An ObjectConflict problem when someone else controls `object`; undefined when Davy may write it. */
export function conflictOf(canary: Canary, object: KubeObject | undefined): Result<never> | undefined {
  if (!object) return undefined;
  const owner = ownershipOf(object, canary);
  if (owner.kind !== 'foreign') return undefined;
  return fail('ObjectConflict', `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''} is controlled by ${owner.owner}`);
}

/** Label and annotation keys, for what converged() must treat specially. */
export interface MetadataKeys {
  labels?: readonly string[];
  annotations?: readonly string[];
}

export interface ConvergeOptions {
  /** Keys the Canary lists as the user's (spec.*.unmanagedMetadata): never set. */
  unmanaged?: MetadataKeys;
  /** Keys outside `davy.dev/` that Davy alone sets on this object: removed when `desired` lacks them. */
  owned?: MetadataKeys;
}

/**
 * `existing` metadata brought to `desired`: desired labels and annotations are set (except keys the
 * Canary lists as unmanaged), keys other controllers added stay (except keys Davy owns, which go
 * when desired lacks them), and the Canary becomes the controller.
 */
export function mergeMetadata(existing: ObjectMeta, desired: ObjectMeta, options: ConvergeOptions = {}): ObjectMeta {
  const overlay = (base: Record<string, string> | undefined, top: Record<string, string> | undefined, keys: keyof MetadataKeys) => {
    const skip = options.unmanaged?.[keys] ?? [];
    const merged = { ...(base ?? {}) };
    for (const key of options.owned?.[keys] ?? []) if (top?.[key] === undefined) delete merged[key];
    for (const [key, value] of Object.entries(top ?? {})) if (!skip.includes(key)) merged[key] = value;
    return merged;
  };
  const kept = (existing.ownerReferences ?? []).filter((r) => !isCanaryRef(r) || r.controller !== true);
  const refs = [...kept.filter((r) => !(desired.ownerReferences ?? []).some((d) => d.uid === r.uid)), ...(desired.ownerReferences ?? [])];
  return {
    ...existing,
    labels: overlay(existing.labels, desired.labels, 'labels'),
    annotations: overlay(existing.annotations, desired.annotations, 'annotations'),
    ...(refs.length ? { ownerReferences: refs } : {}),
  };
}

/**
 * The stored object brought to `desired` (an object Davy owns): desired spec and Davy's metadata,
 * with what the API server and other controllers keep on it (uid, resourceVersion, their own
 * labels and annotations, status). Writing it when nothing changed is then a no-op.
 */
export function converged<T extends KubeObject>(existing: T, desired: T, options: ConvergeOptions = {}): T {
  const { metadata: _metadata, status: _status, ...content } = desired;
  return { ...existing, ...content, metadata: mergeMetadata(existing.metadata, desired.metadata, options) };
}

/** Metadata of an object Davy owned, handed back to the user: Davy's label, annotations and ownership removed. */
export function releasedMetadata(existing: ObjectMeta, canary: Canary): ObjectMeta {
  const { ownerReferences, labels, annotations, ...rest } = existing;
  const refs = (ownerReferences ?? []).filter((r) => !(isCanaryRef(r) && r.name === canary.metadata.name));
  const keep = (map: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !isDavyKey(key) && !(key in FLUX_ANNOTATIONS)));
  return { ...rest, labels: keep(labels), annotations: keep(annotations), ...(refs.length ? { ownerReferences: refs } : {}) };
}

export interface AdoptionRecord<T> {
  canary: string;
  original: T;
}

export function adoptionRecord<T>(object: KubeObject): AdoptionRecord<T> | undefined {
  const text = object.metadata.annotations?.[ANNOTATION_ADOPTED];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<AdoptionRecord<T>>;
    return typeof parsed.canary === 'string' && parsed.original !== undefined ? { canary: parsed.canary, original: parsed.original } : undefined;
  } catch {
    return undefined;
  }
}

export function withAdoptionRecord<T>(metadata: ObjectMeta, record: AdoptionRecord<T>): ObjectMeta {
  return { ...metadata, annotations: { ...(metadata.annotations ?? {}), [ANNOTATION_ADOPTED]: JSON.stringify(record) } };
}

export function withoutAdoptionRecord(metadata: ObjectMeta): ObjectMeta {
  const { [ANNOTATION_ADOPTED]: _record, ...annotations } = metadata.annotations ?? {};
  const { annotations: _all, ...rest } = metadata;
  return Object.keys(annotations).length ? { ...rest, annotations } : rest;
}
