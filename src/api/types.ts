// The flagger.app/v1beta1 kinds as Davy reads them: Canary, MetricTemplate, AlertProvider.
// Field names and meanings are Flagger's (reference/flagger-compat.md §1, §2, §7, §8, §9); the
// fields Davy adds are marked "Davy addition". Everything is optional unless Flagger requires it,
// and nothing here is trusted: the validator checks an `unknown` before anything is cast to these.

import type { ProviderName } from './providers.js';
import type {
  CorsPolicy,
  CustomMetadata,
  GatewayParentReference,
  HTTPMatchRequest,
  HTTPRequestMirrorFilter,
  HTTPRetry,
  HTTPRewrite,
  IstioHeaders,
  IstioTrafficPolicy,
  RouteReference,
} from './types-routing.js';

export type * from './types-routing.js';

export interface ApiObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A reference by apiVersion/kind/name, in the Canary's namespace unless `namespace` is given. */
export interface CrossNamespaceObjectReference {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** A reference to an object of a known kind, optionally in another namespace. */
export interface NamespacedNameReference {
  name: string;
  namespace?: string;
}

export interface LocalObjectReference {
  name: string;
}

// ---------------------------------------------------------------------------------------------
// Canary
// ---------------------------------------------------------------------------------------------

export interface Canary {
  apiVersion: 'flagger.app/v1beta1';
  kind: 'Canary';
  metadata: ApiObjectMeta;
  spec: CanarySpec;
  status?: CanaryStatus;
}

export interface CanarySpec {
  /** Router for this canary; the stepper's --mesh-provider when unset. */
  provider?: ProviderName;
  /** Prometheus for builtin and inline `query` metrics; the stepper's --metrics-server when unset. */
  metricsServer?: string;
  /** The workload under analysis: apps/v1 Deployment or DaemonSet in Davy. */
  targetRef: TargetReference;
  autoscalerRef?: AutoscalerReference;
  /** NGINX and Skipper: the Ingress to clone. */
  ingressRef?: CrossNamespaceObjectReference;
  /** APISIX: the ApisixRoute to clone. */
  routeRef?: CrossNamespaceObjectReference;
  /** Gloo: the Upstream whose settings are copied. */
  upstreamRef?: CrossNamespaceObjectReference;
  service: CanaryService;
  analysis?: CanaryAnalysis;
  /** Deprecated alias of `analysis`; Flagger's CRD prunes it, so it is never read. */
  canaryAnalysis?: CanaryAnalysis;
  /** Seconds a rollout may take to make progress before rollback; default 600. */
  progressDeadlineSeconds?: number;
  /** Promote new revisions without analysis. */
  skipAnalysis?: boolean;
  /** Accepted for compatibility: Davy always releases its hold and removes its objects on deletion. */
  revertOnDeletion?: boolean;
  /** Stop stepping this canary, even mid-analysis. */
  suspend?: boolean;
}

export interface TargetReference {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface AutoscalerReference {
  apiVersion: string;
  kind: string;
  name: string;
  /** KEDA only: trigger name to query for the stable side's ScaledObject (accepted, see DESIGN.md). */
  primaryScalerQueries?: Record<string, string>;
  /** Replica bounds for the stable side's autoscaler (accepted, see DESIGN.md). */
  primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number };
}

export type TrafficDistribution = 'PreferClose' | 'PreferSameZone' | 'PreferSameNode';

export interface CanaryService {
  /** Apex service name; default targetRef.name. Davy creates `<name>-primary` and `<name>-canary`. */
  name?: string;
  port: number;
  /** Name of the generated service port; default `http`. */
  portName?: string;
  /** Container port number or name; default `port`. */
  targetPort?: number | string;
  appProtocol?: string;
  trafficDistribution?: TrafficDistribution;
  portDiscovery?: boolean;
  headless?: boolean;
  /** Request timeout (Go duration). */
  timeout?: string;
  /** Gateway API v1 per-backend timeout (Go duration). */
  backendTimeout?: string;
  /** Istio VirtualService gateways; default ["mesh"]. */
  gateways?: string[];
  /** Gateway API parentRefs. */
  gatewayRefs?: GatewayParentReference[];
  /** Davy's addition: the user's HTTPRoute to set weights in, instead of generating one. */
  routeRef?: RouteReference;
  hosts?: string[];
  delegation?: boolean;
  trafficPolicy?: IstioTrafficPolicy;
  match?: HTTPMatchRequest[];
  rewrite?: HTTPRewrite;
  retries?: HTTPRetry;
  headers?: IstioHeaders;
  /** Gateway API static mirror filters (unrelated to analysis.mirror). */
  mirror?: HTTPRequestMirrorFilter[];
  corsPolicy?: CorsPolicy;
  /** App Mesh v1beta1 mesh name. */
  meshName?: string;
  /** App Mesh backends. */
  backends?: string[];
  apex?: CustomMetadata;
  primary?: CustomMetadata;
  canary?: CustomMetadata;
  unmanagedMetadata?: { annotations?: string[]; labels?: string[] };
}

export interface CanaryAnalysis {
  /** Step period (Go duration); required. */
  interval?: string;
  /** >0 selects blue/green, or A/B with `match`. */
  iterations?: number;
  /** Failed checks before rollback; required. */
  threshold?: number;
  /** Weight at which promotion starts; default 100 (with stepWeights, the last step, capped at 100). */
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  /** Primary weight increment while promoting; 0 = all traffic back at once. */
  stepWeightPromotion?: number;
  mirror?: boolean;
  /** Istio: percentage of traffic mirrored; unset = 100. */
  mirrorWeight?: number;
  /** % of replicas that must be available for the stable side to be ready; default 100. */
  primaryReadyThreshold?: number;
  /** % of replicas that must be available for the canary copy to be ready; default 100. */
  canaryReadyThreshold?: number;
  /** A/B conditions (with iterations). */
  match?: HTTPMatchRequest[];
  metrics?: CanaryMetric[];
  webhooks?: CanaryWebhook[];
  alerts?: CanaryAlert[];
  sessionAffinity?: SessionAffinity;
  /**
   * Davy addition, default true: render label values that name the target exactly as the
   * workload under test (`<target>-canary`) and `<target>-primary` as the stable `<target>`,
   * so Flagger queries keep their meaning (DESIGN.md, "Compatibility with Flagger's names").
   * false renders queries verbatim.
   */
  rewriteQueries?: boolean;
}

/** Davy addition: what a metric check with no data means. */
export type OnNoData = 'fail' | 'hold' | 'pass';

export interface CanaryMetric {
  /** `request-success-rate` and `request-duration` are builtins; any other name needs query or templateRef. */
  name: string;
  /** Query window (Go duration); default 1m. */
  interval?: string;
  /** Deprecated: min for success rate, max for duration (ms) and custom metrics. */
  threshold?: number;
  thresholdRange?: { min?: number; max?: number };
  /** Deprecated inline PromQL, run against metricsServer. */
  query?: string;
  templateRef?: NamespacedNameReference;
  templateVariables?: Record<string, string>;
  /**
   * Davy addition, default 'fail': 'fail' counts no data as a failed check (Flagger's behaviour),
   * 'hold' neither advances nor counts a failure, 'pass' treats it as a passed check.
   */
  onNoData?: OnNoData;
}

export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export interface CanaryWebhook {
  /** Empty or unset means `rollout`. */
  type?: WebhookType | '';
  name: string;
  url: string;
  /** Per-attempt timeout (Go duration); default 10s. */
  timeout?: string;
  retries?: number;
  disableTLS?: boolean;
  muteAlert?: boolean;
  metadata?: Record<string, string>;
}

export const ALERT_SEVERITIES = ['info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface CanaryAlert {
  name: string;
  /** An empty severity matches nothing in Flagger; Davy reads it as `info` (flagger-compat §15.1). */
  severity?: AlertSeverity | '';
  providerRef: NamespacedNameReference;
}

export interface SessionAffinity {
  cookieName: string;
  primaryCookieName?: string;
  /** Seconds; default 86400. */
  maxAge?: number;
  domain?: string;
  httpOnly?: boolean;
  partitioned?: boolean;
  path?: string;
  sameSite?: 'Strict' | 'Lax' | 'None';
  secure?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Canary status: a projection of Davy's state annotation, in Flagger's shape.
// ---------------------------------------------------------------------------------------------

export const CANARY_PHASES = [
  '',
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface CanaryCondition {
  /**
   * Flagger writes a single condition, `Promoted`; Davy adds the ones kstatus reads (GitOps
   * health checks): `Ready`, and `Reconciling` or `Stalled` while True (src/stepper/status.ts).
   */
  type: 'Promoted' | 'Ready' | 'Reconciling' | 'Stalled';
  status: ConditionStatus;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  /** The phase. */
  reason?: string;
  message?: string;
}

export interface CanaryStatus {
  /** The metadata.generation this status answers (kstatus: a lagging one is InProgress). */
  observedGeneration?: number;
  phase?: CanaryPhase;
  failedChecks?: number;
  canaryWeight?: number;
  iterations?: number;
  /** `configmap/<name>` or `secret/<name>` to checksum. */
  trackedConfigs?: Record<string, string>;
  /** Revision under analysis. */
  lastAppliedSpec?: string;
  /** Revision the stable pods run. */
  lastPromotedSpec?: string;
  /** Flagger's change fence of the target; in the schema so it is not pruned, unused by Davy. */
  lastTrackedRevision?: string;
  lastTransitionTime?: string;
  sessionAffinityCookie?: string;
  primarySessionAffinityCookie?: string;
  previousSessionAffinityCookie?: string;
  conditions?: CanaryCondition[];
}

// ---------------------------------------------------------------------------------------------
// MetricTemplate
// ---------------------------------------------------------------------------------------------

export const METRIC_PROVIDER_TYPES = [
  'prometheus',
  'influxdb',
  'datadog',
  'cloudwatch',
  'newrelic',
  'graphite',
  'dynatrace',
  'stackdriver',
  'keptn',
  'splunk',
  'externalmetrics',
] as const;
export type MetricProviderType = (typeof METRIC_PROVIDER_TYPES)[number];

/** The metric providers Davy queries today; the others are known but refused as not supported yet. */
export const DAVY_METRIC_PROVIDER_TYPES = ['prometheus', 'datadog', 'newrelic', 'dynatrace', 'cloudwatch', 'graphite', 'stackdriver', 'splunk', 'influxdb', 'keptn', 'externalmetrics'] as const satisfies readonly MetricProviderType[];

export interface MetricTemplate {
  apiVersion: 'flagger.app/v1beta1';
  kind: 'MetricTemplate';
  metadata: ApiObjectMeta;
  spec: MetricTemplateSpec;
  status?: GenericStatus;
}

export interface MetricTemplateSpec {
  provider: MetricTemplateProvider;
  /** Go text/template; variables `name`, `namespace`, `target`, `service`, `ingress`, `route`, `interval`, `variables.*`. */
  query: string;
}

export interface MetricTemplateProvider {
  type: MetricProviderType;
  address?: string;
  /** Secret in the template's namespace (e.g. `token`, or `username` + `password`). */
  secretRef?: LocalObjectReference;
  /** Prometheus only. */
  headers?: Record<string, string[]>;
  /** CloudWatch only. */
  region?: string;
  insecureSkipVerify?: boolean;
}

/** MetricTemplate and AlertProvider status: present in Flagger's types, never populated. */
export interface GenericStatus {
  conditions?: {
    type: string;
    status: ConditionStatus;
    lastUpdateTime?: string;
    lastTransitionTime?: string;
    reason?: string;
    message?: string;
  }[];
}

// ---------------------------------------------------------------------------------------------
// AlertProvider
// ---------------------------------------------------------------------------------------------

export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat'] as const;
export type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

export interface AlertProvider {
  apiVersion: 'flagger.app/v1beta1';
  kind: 'AlertProvider';
  metadata: ApiObjectMeta;
  spec: AlertProviderSpec;
  status?: GenericStatus;
}

export interface AlertProviderSpec {
  type: AlertProviderType;
  /** Default `general`. */
  channel?: string;
  /** Default `flagger`. */
  username?: string;
  /** Webhook URL; one of address or secretRef (whose Secret holds `address`, maybe `token`). */
  address?: string;
  /** HTTP/S proxy URL. */
  proxy?: string;
  secretRef?: LocalObjectReference;
}

export type FlaggerResource = Canary | MetricTemplate | AlertProvider;
export type FlaggerKind = FlaggerResource['kind'];
export const FLAGGER_KINDS = ['Canary', 'MetricTemplate', 'AlertProvider'] as const satisfies readonly FlaggerKind[];
