// Config tracking (flagger-compat §3.4): the ConfigMaps and Secrets a pod template references are
// checksummed, so a change to their data is a new revision even though the template did not change.
// docs/config-tracking.md says what this means for the stable pods.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../api/revision.js';
import { ANNOTATION_CONFIG_TRACKING } from '../api/keys.js';
import { byCodeUnit } from '../lib/ordinal.js';
import { fail, ok, type Result } from './result.js';
import type { ConfigObject, Container, PodTemplate } from './types.js';

export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigRef {
  kind: ConfigKind;
  name: string;
  /** True only when every reference to it is optional. */
  optional: boolean;
}

/** The Secret types whose data is configuration; others (docker config, service-account tokens) are not tracked. */
export const TRACKED_SECRET_TYPES: readonly string[] = ['Opaque', 'kubernetes.io/basic-auth', 'kubernetes.io/ssh-auth', 'kubernetes.io/tls'];

/** `configmap/<name>` or `secret/<name>` to checksum: Flagger's `status.trackedConfigs` shape. */
export type TrackedConfigs = Record<string, string>;

export interface ConfigObjects {
  /** The ConfigMaps of the pod's namespace (or at least the referenced ones). */
  configMaps: readonly ConfigObject[];
  secrets: readonly ConfigObject[];
}

export const trackedKey = (kind: ConfigKind, name: string): string => `${kind === 'ConfigMap' ? 'configmap' : 'secret'}/${name}`;

/** Every ConfigMap and Secret the template references: volumes, projected sources, env and envFrom of containers and initContainers. */
export function configRefs(template: PodTemplate | undefined): ConfigRef[] {
  const found = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: string | undefined, optional: boolean | undefined) => {
    if (!name) return;
    const key = trackedKey(kind, name);
    const previous = found.get(key);
    found.set(key, { kind, name, optional: (previous?.optional ?? true) && optional === true });
  };
  const spec = template?.spec;
  for (const volume of spec?.volumes ?? []) {
    add('ConfigMap', volume.configMap?.name, volume.configMap?.optional);
    add('Secret', volume.secret?.secretName, volume.secret?.optional);
    for (const source of volume.projected?.sources ?? []) {
      add('ConfigMap', source.configMap?.name, source.configMap?.optional);
      add('Secret', source.secret?.name, source.secret?.optional);
    }
  }
  const containers: Container[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  for (const container of containers) {
    for (const env of container.env ?? []) {
      add('ConfigMap', env.valueFrom?.configMapKeyRef?.name, env.valueFrom?.configMapKeyRef?.optional);
      add('Secret', env.valueFrom?.secretKeyRef?.name, env.valueFrom?.secretKeyRef?.optional);
    }
    for (const source of container.envFrom ?? []) {
      add('ConfigMap', source.configMapRef?.name, source.configMapRef?.optional);
      add('Secret', source.secretRef?.name, source.secretRef?.optional);
    }
  }
  return [...found.values()].sort((a, b) => byCodeUnit(trackedKey(a.kind, a.name), trackedKey(b.kind, b.name)));
}

/** SHA-256 of the canonical JSON of `data` and `binaryData`, first 16 hex digits. */
export function configChecksum(object: ConfigObject): string {
  const content = canonicalJson({ data: object.data ?? {}, binaryData: object.binaryData ?? {} });
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

const optedOut = (object: ConfigObject): boolean =>
  (object.metadata.annotations?.[ANNOTATION_CONFIG_TRACKING] ?? '').startsWith('disable');

/**
 * The checksums of the configs the template references. Skipped: objects that opted out, Secrets
 * of untracked types, and optional references to missing objects. A required reference to a
 * missing object is a ConfigMissing problem naming every such object (the pods could not start).
 */
export function trackConfigs(template: PodTemplate | undefined, objects: ConfigObjects): Result<TrackedConfigs> {
  const byName = (list: readonly ConfigObject[]) => new Map(list.map((o) => [o.metadata.name ?? '', o]));
  const maps = { ConfigMap: byName(objects.configMaps), Secret: byName(objects.secrets) };
  const tracked: TrackedConfigs = {};
  const missing: string[] = [];
  for (const ref of configRefs(template)) {
    const object = maps[ref.kind].get(ref.name);
    if (!object) {
      if (!ref.optional) missing.push(`${ref.kind} ${ref.name}`);
      continue;
    }
    if (optedOut(object)) continue;
    if (ref.kind === 'Secret' && !TRACKED_SECRET_TYPES.includes(object.type ?? 'Opaque')) continue;
    tracked[trackedKey(ref.kind, ref.name)] = configChecksum(object);
  }
  if (missing.length) return fail('ConfigMissing', `the pod template references missing ${missing.join(', ')}`);
  return ok(tracked);
}

/** One checksum for all tracked configs (for the copy's pod template); undefined when none are tracked. */
export function trackedConfigsChecksum(tracked: TrackedConfigs): string | undefined {
  if (Object.keys(tracked).length === 0) return undefined;
  return createHash('sha256').update(canonicalJson(tracked)).digest('hex').slice(0, 16);
}

/** Whether the configs changed since `previous` (a different set, or any different checksum). */
export function configsChanged(previous: TrackedConfigs | undefined, current: TrackedConfigs): boolean {
  return canonicalJson(previous ?? {}) !== canonicalJson(current);
}
