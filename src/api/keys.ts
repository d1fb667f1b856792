// Every label, annotation and finalizer key Davy reads or writes, in one place: Davy's own
// (`davy.dev/*`) and the ones of others (Flagger, kubectl, Flux, KEDA) it reads or sets.

export const GROUP = 'flagger.app';
export const VERSION = 'v1beta1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The prefix the mutating webhook protects: only the stepper may change keys under it. */
export const DAVY_PREFIX = 'davy.dev/';

/** Label on a canaried workload naming its Canary; the mutating webhook's objectSelector. */
export const LABEL_CANARY = 'davy.dev/canary';
/** Annotation on the workload: the revision its pods run, recorded by the stepper. */
export const ANNOTATION_STABLE_REVISION = 'davy.dev/stable-revision';
/** Annotation on the workload: the held revision waiting for analysis, set by the webhook. */
export const ANNOTATION_PENDING_REVISION = 'davy.dev/pending-revision';
/** Annotation on a DaemonSet: its own updateStrategy, saved while Davy holds it with OnDelete. */
export const ANNOTATION_SAVED_UPDATE_STRATEGY = 'davy.dev/saved-update-strategy';
/** Annotation on the workload: set when the hold was placed by Davy (so a user's own pause is left alone). */
export const ANNOTATION_HELD = 'davy.dev/held';
/** Annotation on the Canary: the stepper's state (JSON). */
export const ANNOTATION_STATE = 'davy.dev/state';
/** Annotation on the Canary: an imperative action with a nonce, written by `davy promote|abort|...`. */
export const ANNOTATION_ACTION = 'davy.dev/action';
/** Annotation on the Canary: the alerts of an undelivered outbox entry already posted (JSON), so a retry skips them. */
export const ANNOTATION_ALERTS_SENT = 'davy.dev/alerts-sent';
/** Label on every object Davy creates, naming the Canary that owns it. */
export const LABEL_MANAGED_BY_CANARY = 'davy.dev/owned-by';
/** Finalizer on a Canary: removes Davy's objects and releases the hold on deletion. */
export const FINALIZER = 'davy.dev/finalizer';

export const isDavyKey = (key: string): boolean => key.startsWith(DAVY_PREFIX);

/**
 * Annotation on the canary copy `<target>-canary`: the revision of the user's template it runs
 * (its own template differs, its labels are rewritten), written by the stepper's syncCopy.
 */
export const ANNOTATION_COPY_REVISION = 'davy.dev/copy-revision';

/** Annotation on a MetricTemplate: the other namespaces whose Canaries may use it, comma-separated, or `*`. */
export const ANNOTATION_SHARED_WITH = 'davy.dev/shared-with';
/** Annotation on an object Davy adopted (an existing apex Service, VirtualService or TrafficSplit): what to restore. */
export const ANNOTATION_ADOPTED = 'davy.dev/adopted';
/** Pod-template annotation on the canary copy: the tracked configs' checksum, so a config change rolls the copy. */
export const ANNOTATION_CONFIG_CHECKSUM = 'davy.dev/config-checksum';
/** Node-selector label no node carries: parks an idle DaemonSet copy on no node. */
export const LABEL_SCALE_TO_ZERO = 'davy.dev/scale-to-zero';

// Others' keys.

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
