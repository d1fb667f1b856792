// The autoscaler copy `<autoscaler>-canary`, scaling the canary copy. The user's own HPA or
// ScaledObject keeps scaling the stable workload as written (DESIGN.md): Davy never edits it, so
// Flagger's `primaryScalerQueries` and `primaryScalerReplicas` have nothing to apply to (the
// validator warns about them).
//
// An idle copy stays at 0: an HPA does not scale a target whose replica count is 0, and KEDA
// (which would raise a target to minReplicaCount) is paused at 0 replicas while the copy is idle.
import type { Canary } from '../api/types.js';
import { ANNOTATION_KEDA_PAUSED, ANNOTATION_KEDA_PAUSED_REPLICAS } from '../api/keys.js';
import { converged, copyable, ownedMetadata, type MetadataKeys } from './meta.js';
import { fail, ok, type Result } from './result.js';
import type { Autoscaler, HorizontalPodAutoscaler, ScaledObject, ScaledObjectTrigger } from './types.js';

export const AUTOSCALER_SUFFIX = '-canary';
export const HPA_API_VERSION = 'autoscaling/v2';
export const KEDA_API_VERSION = 'keda.sh/v1alpha1';

export interface AutoscalerCopyOptions {
  /** The copy is at 0 replicas: keep it there. */
  idle: boolean;
}

/** The desired copy of the user's autoscaler, targeting `<target>-canary`. */
export function buildAutoscalerCopy(canary: Canary, autoscaler: Autoscaler, options: AutoscalerCopyOptions): Result<Autoscaler> {
  const target = canary.spec.targetRef.name;
  const copyTarget = `${target}${AUTOSCALER_SUFFIX}`;
  const name = `${autoscaler.metadata.name ?? ''}${AUTOSCALER_SUFFIX}`;
  const metadata = ownedMetadata(canary, name, {
    labels: copyable(autoscaler.metadata.labels),
    annotations: copyable(autoscaler.metadata.annotations),
  });
  if (autoscaler.kind === 'HorizontalPodAutoscaler') {
    if (autoscaler.apiVersion !== HPA_API_VERSION) {
      return fail('UnsupportedKind', `HorizontalPodAutoscaler ${autoscaler.metadata.name ?? ''}: apiVersion must be ${HPA_API_VERSION}, not ${autoscaler.apiVersion}`);
    }
    const copy: HorizontalPodAutoscaler = {
      apiVersion: HPA_API_VERSION,
      kind: 'HorizontalPodAutoscaler',
      metadata,
      spec: {
        ...structuredClone(autoscaler.spec ?? {}),
        scaleTargetRef: { apiVersion: canary.spec.targetRef.apiVersion, kind: canary.spec.targetRef.kind, name: copyTarget },
      },
    };
    return ok(copy);
  }
  if (autoscaler.apiVersion !== KEDA_API_VERSION) {
    return fail('UnsupportedKind', `ScaledObject ${autoscaler.metadata.name ?? ''}: apiVersion must be ${KEDA_API_VERSION}, not ${autoscaler.apiVersion}`);
  }
  const spec = structuredClone(autoscaler.spec ?? {});
  const hpaConfig = spec.advanced?.horizontalPodAutoscalerConfig;
  if (spec.advanced && hpaConfig?.name) {
    spec.advanced = { ...spec.advanced, horizontalPodAutoscalerConfig: { ...hpaConfig, name: `${hpaConfig.name}${AUTOSCALER_SUFFIX}` } };
  }
  const copy: ScaledObject = {
    apiVersion: KEDA_API_VERSION,
    kind: 'ScaledObject',
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations ?? {}), ...(options.idle ? { [ANNOTATION_KEDA_PAUSED_REPLICAS]: '0' } : {}) },
    },
    spec: {
      ...spec,
      scaleTargetRef: { ...(spec.scaleTargetRef ?? {}), name: copyTarget },
      ...(spec.triggers ? { triggers: spec.triggers.map((t) => rewriteTrigger(t, target, copyTarget)) } : {}),
    },
  };
  delete copy.metadata.annotations?.[ANNOTATION_KEDA_PAUSED];
  return ok(copy);
}

/** KEDA's pause is Davy's to set on the copy: it goes when the copy wakes, whoever else annotates it. */
const OWNED: MetadataKeys = { annotations: [ANNOTATION_KEDA_PAUSED, ANNOTATION_KEDA_PAUSED_REPLICAS] };

/** The stored autoscaler copy brought to `desired` (from buildAutoscalerCopy). */
export const convergedAutoscalerCopy = (existing: Autoscaler, desired: Autoscaler): Autoscaler => converged(existing, desired, { owned: OWNED });

function rewriteTrigger(trigger: ScaledObjectTrigger, from: string, to: string): ScaledObjectTrigger {
  const query = trigger.metadata?.['query'];
  if (query === undefined || !trigger.metadata) return trigger;
  return { ...trigger, metadata: { ...trigger.metadata, query: rewriteName(query, from, to) } };
}

/**
 * `from` replaced by `to` where it stands as a whole name: not inside a longer name, where letters,
 * digits, `_` and `-` continue it. `app="podinfo"` and `deployment=~"podinfo"` name the copy
 * afterwards; `podinfo-svc`, `mypodinfo` and an already rewritten `podinfo-canary` are left alone,
 * so rewriting twice changes nothing.
 */
export function rewriteName(text: string, from: string, to: string): string {
  if (!from) return text;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, 'g'), to);
}
