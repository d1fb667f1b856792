// The actions on the user's workload and on the canary copy, as absolute targets: each reads the
// object from the pass's view, writes only when it differs from the target, and guards the write
// with the resourceVersion it read (a merge patch carrying metadata.resourceVersion is refused
// with a conflict when the object moved). The workload's spec is touched only to release a hold,
// as src/admission/hold.ts describes; these writes run as the stepper's identity, which the
// mutating webhook passes as sent.
import { releasedSpecField } from '../admission/hold.js';
import {
  ANNOTATION_COPY_REVISION,
  ANNOTATION_HELD,
  ANNOTATION_PENDING_REVISION,
  ANNOTATION_SAVED_UPDATE_STRATEGY,
  ANNOTATION_STABLE_REVISION,
  isDavyKey,
  LABEL_CANARY,
  LABEL_SCALE_TO_ZERO,
} from '../api/keys.js';
import { templateRevision } from '../api/revision.js';
import { write } from '../routers/objects.js';
import { buildCanaryWorkload } from '../workloads/canary-copy.js';
import { trackedConfigsChecksum, type TrackedConfigs } from '../workloads/config-tracking.js';
import { converged, ownershipOf } from '../workloads/meta.js';
import { isWorkload, type Workload } from '../workloads/types.js';
import { isKnativeTarget, releaseKnativeHold } from './knative.js';
import { ProblemError, type CanaryScope } from './types.js';

type Patch = Record<string, unknown>;

async function read(scope: CanaryScope, which: 'target' | 'copy'): Promise<Workload | undefined> {
  const found = await scope.view.get(which === 'target' ? scope.targetRef : scope.copyRef);
  if (isWorkload(found)) return found;
  // A Knative Service target takes the label and annotations as a workload does; it has no copy.
  return which === 'target' && found && isKnativeTarget(found) ? (found as unknown as Workload) : undefined;
}

/** A merge patch guarded by the resourceVersion read: a conflict when the object changed since. */
async function patch(scope: CanaryScope, object: Workload, body: Patch): Promise<void> {
  const { metadata, ...rest } = body as { metadata?: Patch };
  const guarded = { ...rest, metadata: { ...(metadata ?? {}), resourceVersion: object.metadata.resourceVersion } };
  await scope.view.patch({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '', namespace: object.metadata.namespace ?? '' }, { type: 'merge', body: guarded });
}

/** bootstrap: the workload carries `davy.dev/canary: <canary>` (the mutating webhook's scope). */
export async function labelTarget(scope: CanaryScope): Promise<void> {
  const target = await read(scope, 'target');
  const name = scope.canary.metadata.name ?? '';
  const current = target?.metadata.labels?.[LABEL_CANARY];
  if (!target || current === name) return;
  if (current !== undefined) {
    throw new ProblemError('ObjectConflict', `${target.kind} ${scope.targetRef.namespace ?? ''}/${target.metadata.name ?? ''} belongs to Canary ${current}`);
  }
  await patch(scope, target, { metadata: { labels: { [LABEL_CANARY]: name } } });
}

/** bootstrap: the copy exists; when missing, made from the workload's current template at 0 replicas. */
export async function ensureCopy(scope: CanaryScope, configs: TrackedConfigs): Promise<void> {
  if (isKnativeTarget(scope.targetRef)) return;
  const [target, copy] = await Promise.all([read(scope, 'target'), scope.view.get(scope.copyRef)]);
  if (!target) return;
  if (copy) {
    if (ownershipOf(copy, scope.canary).kind !== 'ours') throw new ProblemError('ObjectConflict', `${copy.kind} ${scope.copyRef.namespace ?? ''}/${scope.copyRef.name} exists and is not this Canary's copy`);
    return;
  }
  await scope.view.create(desiredCopy(scope, target, 0, configs));
}

function desiredCopy(scope: CanaryScope, target: Workload, replicas: number, configs: TrackedConfigs): Workload {
  const checksum = trackedConfigsChecksum(configs);
  const tracked = checksum ? { configChecksum: checksum } : {};
  const built = buildCanaryWorkload(scope.canary, target, { replicas, ...tracked });
  if (!built.ok) throw ProblemError.of(built.error);
  const copy = built.value;
  const revision = templateRevision(target.spec?.template);
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [ANNOTATION_COPY_REVISION]: revision };
  return copy;
}

/** The workload records `revision` as stable; a pending revision equal to it is no longer pending. */
export async function recordStableRevision(scope: CanaryScope, revision: string): Promise<void> {
  const target = await read(scope, 'target');
  if (!target) return;
  const annotations = target.metadata.annotations ?? {};
  const clearPending = annotations[ANNOTATION_PENDING_REVISION] === revision;
  if (annotations[ANNOTATION_STABLE_REVISION] === revision && !clearPending) return;
  await patch(scope, target, {
    metadata: {
      annotations: {
        [ANNOTATION_STABLE_REVISION]: revision,
        ...(clearPending ? { [ANNOTATION_PENDING_REVISION]: null } : {}),
      },
    },
  });
}

/** Replicas of an existing copy as the builder takes them (a parked DaemonSet copy counts as 0). */
function copyReplicas(copy: Workload): number {
  if (copy.kind === 'Deployment') return copy.spec?.replicas ?? 1;
  return copy.spec?.template?.spec?.nodeSelector?.[LABEL_SCALE_TO_ZERO] === undefined ? 1 : 0;
}

/** The copy's size when up: the workload's replicas, at least 1. */
const upReplicas = (target: Workload | undefined): number => Math.max(1, target?.kind === 'Deployment' ? (target.spec?.replicas ?? 1) : 1);

/**
 * The copy runs the workload's template when that template is `revision`; otherwise nothing. The
 * stepper intends a sync only while the copy is up, right before scaleCopy 'match-target', so a
 * Deployment copy gets its up size in the same write (one PUT, not a PUT and a PATCH; issue 15).
 * Not with an autoscaler copy, which must wake before the copy grows (apply.ts), nor for a
 * DaemonSet copy, whose size is its parking.
 */
export async function syncCopy(scope: CanaryScope, revision: string, configs: TrackedConfigs): Promise<void> {
  const [target, copy] = await Promise.all([read(scope, 'target'), read(scope, 'copy')]);
  if (!target || !copy || templateRevision(target.spec?.template) !== revision) return;
  const replicas = copy.kind === 'Deployment' && !scope.autoscaler ? upReplicas(target) : copyReplicas(copy);
  const desired = desiredCopy(scope, target, replicas, configs);
  await write(scope.view, converged(copy, desired), copy);
}

/**
 * The copy's size: 'match-target' is the workload's replicas (at least 1), unless the copy already
 * runs and an autoscaler copy scales it (then its count is the autoscaler's); 0 is no pods.
 */
export async function scaleCopy(scope: CanaryScope, replicas: 'match-target' | 0): Promise<void> {
  const [target, copy] = await Promise.all([read(scope, 'target'), read(scope, 'copy')]);
  if (!copy) return;
  const current = copyReplicas(copy);
  if (copy.kind === 'DaemonSet') {
    const park = replicas === 0;
    if ((current === 0) === park) return;
    await patch(scope, copy, { spec: { template: { spec: { nodeSelector: { [LABEL_SCALE_TO_ZERO]: park ? 'true' : null } } } } });
    return;
  }
  const wanted = replicas === 0 ? 0 : upReplicas(target);
  if (current === wanted || (replicas === 'match-target' && current > 0 && scope.autoscaler)) return;
  await patch(scope, copy, { spec: { replicas: wanted } });
}

/** The merge-patch body that puts a hold's spec field back (hold.ts), and any warning. */
function releasedSpec(target: Workload): { spec?: Patch; warning?: string } {
  const released = releasedSpecField(target.kind, target.metadata.annotations ?? {});
  const value = released.field.value as { type?: unknown; rollingUpdate?: unknown } | true | undefined;
  const warning = released.warning ? { warning: released.warning } : {};
  if (target.kind === 'Deployment') return { ...(value === true ? {} : { spec: { paused: null } }), ...warning };
  const strategy = typeof value === 'object' ? value : {};
  // A merge patch merges maps: naming both fields of an updateStrategy replaces it exactly.
  const updateStrategy = { type: strategy.type ?? null, rollingUpdate: strategy.rollingUpdate ?? null };
  return { spec: { updateStrategy }, ...warning };
}

/** Promotion: when the workload's template is `revision` and Davy holds it, the hold is released. */
export async function releaseHold(scope: CanaryScope, revision: string): Promise<void> {
  if (isKnativeTarget(scope.targetRef)) return releaseKnativeHold(scope, revision);
  const target = await read(scope, 'target');
  const annotations = target?.metadata.annotations ?? {};
  if (!target || annotations[ANNOTATION_HELD] === undefined) return;
  if (templateRevision(target.spec?.template) !== revision) return;
  const { spec, warning } = releasedSpec(target);
  if (warning) scope.log.warn(warning);
  await patch(scope, target, {
    metadata: { annotations: { [ANNOTATION_HELD]: null, ...(target.kind === 'DaemonSet' ? { [ANNOTATION_SAVED_UPDATE_STRATEGY]: null } : {}) } },
    ...(spec ? { spec } : {}),
  });
}

/** Finalization: any hold released whatever the revision, every davy.dev/* label and annotation removed. */
export async function releaseTarget(scope: CanaryScope): Promise<void> {
  const target = await read(scope, 'target');
  if (!target) return;
  const davy = (map: Record<string, string> | undefined) => Object.keys(map ?? {}).filter(isDavyKey);
  const labels = davy(target.metadata.labels);
  const annotations = davy(target.metadata.annotations);
  if (labels.length === 0 && annotations.length === 0) return;
  const held = target.metadata.annotations?.[ANNOTATION_HELD] !== undefined;
  const { spec, warning } = held ? releasedSpec(target) : {};
  if (warning) scope.log.warn(warning);
  const nulls = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, null]));
  const metadata = { labels: nulls(labels), annotations: nulls(annotations) };
  await patch(scope, target, { metadata, ...(spec ? { spec } : {}) });
}

/** Finalization, last: the copy goes (only if it is this Canary's). */
export async function deleteCopy(scope: CanaryScope): Promise<void> {
  const copy = await scope.view.get(scope.copyRef);
  if (!copy || ownershipOf(copy, scope.canary).kind !== 'ours') return;
  await scope.view.delete(scope.copyRef);
}
