// Keys the workloads and routers read or write beyond those in src/api/keys.ts. The Davy ones
// belong in src/api/keys.ts (one file for every key) and move there with the next change to it.

/** Annotation on an object Davy adopted (an existing apex Service, VirtualService or TrafficSplit): what to restore. */
export const ANNOTATION_ADOPTED = 'davy.dev/adopted';
/** Pod-template annotation on the canary copy: the tracked configs' checksum, so a config change rolls the copy. */
export const ANNOTATION_CONFIG_CHECKSUM = 'davy.dev/config-checksum';
/** Node-selector label no node carries: parks an idle DaemonSet copy on no node. */
export const LABEL_SCALE_TO_ZERO = 'davy.dev/scale-to-zero';

/** Flagger's opt-out on a ConfigMap or Secret: a value starting with `disable` stops tracking. */
export const ANNOTATION_CONFIG_TRACKING = 'flagger.app/config-tracking';
export const ANNOTATION_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Stop Flux from reverting what Davy writes to its own objects (flagger-compat §11). */
export const FLUX_ANNOTATIONS: Readonly<Record<string, string>> = {
  'kustomize.toolkit.fluxcd.io/reconcile': 'disabled',
  'helm.toolkit.fluxcd.io/driftDetection': 'disabled',
};
/** KEDA: a paused ScaledObject holds its target at this replica count. */
export const ANNOTATION_KEDA_PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';
export const ANNOTATION_KEDA_PAUSED = 'autoscaling.keda.sh/paused';
