// Reading and writing routing objects through the KubeClient port: what every router adapter shares.
import { canonicalJson } from '../api/revision.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject, ObjectRef } from '../kube/client.js';
import { ownershipOf } from '../workloads/meta.js';
import { fail, ok, type Result } from '../workloads/result.js';
import { isWorkload, type Workload } from '../workloads/types.js';

export const namespacedRef = (canary: Canary, apiVersion: string, kind: string, name: string): ObjectRef => ({
  apiVersion, kind, name, namespace: canary.metadata.namespace ?? '',
});

const withoutStatus = (object: KubeObject): string => {
  const { status: _status, ...rest } = object;
  return canonicalJson(rest);
};

/**
 * Brings the cluster to `desired`: a create when nothing exists, a replace guarded by the
 * resourceVersion read (a concurrent change is a ConflictError, retried next pass), nothing at all
 * when the stored object already is `desired`.
 */
export async function write<T extends KubeObject>(kube: KubeClient, desired: T, existing: T | undefined): Promise<T> {
  if (!existing) return kube.create(desired);
  const guarded = { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion } };
  if (withoutStatus(guarded) === withoutStatus(existing)) return existing;
  return kube.replace(guarded);
}

/** Deletes the object only when it is this Canary's; a user's or another controller's object stays. */
export async function deleteIfOurs(kube: KubeClient, canary: Canary, ref: ObjectRef): Promise<void> {
  const existing = await kube.get(ref);
  if (existing && ownershipOf(existing, canary).kind === 'ours') await kube.delete(ref);
}

/** The Canary's target workload (a Deployment or DaemonSet). */
export async function readTarget(kube: KubeClient, canary: Canary): Promise<Result<Workload>> {
  const { apiVersion, kind, name } = canary.spec.targetRef;
  if (kind !== 'Deployment' && kind !== 'DaemonSet') return fail('UnsupportedKind', `spec.targetRef.kind: ${kind} is not supported (Deployment, DaemonSet)`);
  const target = await kube.get(namespacedRef(canary, apiVersion, kind, name));
  if (!isWorkload(target)) return fail('TargetMissing', `${kind} ${canary.metadata.namespace ?? ''}/${name} not found`);
  return ok(target);
}
