// Provider names: every value Flagger's `spec.provider` accepts, the subset Davy routes today, what
// each routed provider supports, and which builtin observer (request-success-rate and
// request-duration queries) serves each provider (flagger-compat.md §4, §5, §6).

/** Flagger's whole list (its CRD enum). Every one is known to Davy; unknown strings are errors. */
export const FLAGGER_PROVIDERS = [
  'apisix',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'gloo',
  'istio',
  'knative',
  'kubernetes',
  'kuma',
  'linkerd',
  'nginx',
  'osm',
  'skipper',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'traefik',
] as const;
export type ProviderName = (typeof FLAGGER_PROVIDERS)[number];

/** The SMI TrafficSplit family: one router, the split API version differs. */
export const TRAFFIC_SPLIT_PROVIDERS = ['osm', 'linkerd', 'smi:v1alpha1', 'smi:v1alpha2', 'smi:v1alpha3'] as const satisfies readonly ProviderName[];
export type TrafficSplitProvider = (typeof TRAFFIC_SPLIT_PROVIDERS)[number];

/** Gateway API: one router, the HTTPRoute API version differs. */
export const GATEWAY_API_PROVIDERS = ['gatewayapi:v1', 'gatewayapi:v1beta1'] as const satisfies readonly ProviderName[];
export type GatewayApiProvider = (typeof GATEWAY_API_PROVIDERS)[number];

/** The Knative Service's API: a Canary with provider knative targets one (and only that provider does). */
export const KNATIVE_API_VERSION = 'serving.knative.dev/v1';

/** The providers Davy routes today. The others are refused as "not supported yet by Davy". */
export const DAVY_PROVIDERS = ['kubernetes', 'istio', ...TRAFFIC_SPLIT_PROVIDERS, ...GATEWAY_API_PROVIDERS, 'nginx', 'skipper', 'contour', 'traefik', 'gloo', 'kuma', 'apisix', 'appmesh:v1beta2', 'knative'] as const satisfies readonly ProviderName[];
export type DavyProvider = (typeof DAVY_PROVIDERS)[number];

/** What a routed provider can do. `weights: false` means blue/green only (no traffic split). */
export interface ProviderCapabilities {
  weights: boolean;
  /** A/B routing on `analysis.match`. */
  abMatch: boolean;
  /** Traffic shadowing (`analysis.mirror`), and `mirrorWeight`. */
  mirror: boolean;
  /** Cookie stickiness (`analysis.sessionAffinity`). */
  sessionAffinity: boolean;
}

const SPLIT_ONLY: ProviderCapabilities = { weights: true, abMatch: false, mirror: false, sessionAffinity: false };

export const PROVIDER_CAPABILITIES: Record<DavyProvider, ProviderCapabilities> = {
  kubernetes: { weights: false, abMatch: false, mirror: false, sessionAffinity: false },
  istio: { weights: true, abMatch: true, mirror: true, sessionAffinity: true },
  osm: SPLIT_ONLY,
  linkerd: SPLIT_ONLY,
  'smi:v1alpha1': SPLIT_ONLY,
  'smi:v1alpha2': SPLIT_ONLY,
  'smi:v1alpha3': SPLIT_ONLY,
  'gatewayapi:v1': { weights: true, abMatch: true, mirror: true, sessionAffinity: true },
  'gatewayapi:v1beta1': { weights: true, abMatch: true, mirror: true, sessionAffinity: true },
  nginx: { weights: true, abMatch: true, mirror: false, sessionAffinity: false },
  skipper: SPLIT_ONLY,
  contour: { weights: true, abMatch: true, mirror: false, sessionAffinity: false },
  traefik: SPLIT_ONLY,
  gloo: { weights: true, abMatch: true, mirror: false, sessionAffinity: false },
  kuma: SPLIT_ONLY,
  apisix: SPLIT_ONLY,
  'appmesh:v1beta2': { weights: true, abMatch: true, mirror: false, sessionAffinity: false },
  knative: SPLIT_ONLY,
};

/** The routed providers that honour a capability, for error messages. */
export const providersWith = (capability: keyof ProviderCapabilities): DavyProvider[] =>
  DAVY_PROVIDERS.filter((p) => PROVIDER_CAPABILITIES[p][capability]);

/** The builtin observers: one query set per mesh or ingress, named as in Flagger. */
export const BUILTIN_OBSERVERS = [
  'istio',
  'linkerd',
  'osm',
  'appmesh',
  'contour',
  'gloo',
  'nginx',
  'skipper',
  'traefik',
  'kuma',
  'apisix',
  'knative',
  'http',
] as const;
export type BuiltinObserver = (typeof BUILTIN_OBSERVERS)[number];

/**
 * The observer whose queries select the canary copy for each provider. As in Flagger, the SMI
 * providers use Istio's queries, and kubernetes and Gateway API use the app-exported
 * `http_request_duration_seconds` (the `http` observer).
 */
export const PROVIDER_OBSERVER: Record<ProviderName, BuiltinObserver> = {
  apisix: 'apisix',
  appmesh: 'appmesh',
  'appmesh:v1beta2': 'appmesh',
  contour: 'contour',
  'gatewayapi:v1': 'http',
  'gatewayapi:v1beta1': 'http',
  gloo: 'gloo',
  istio: 'istio',
  knative: 'knative',
  kubernetes: 'http',
  kuma: 'kuma',
  linkerd: 'linkerd',
  nginx: 'nginx',
  osm: 'osm',
  skipper: 'skipper',
  'smi:v1alpha1': 'istio',
  'smi:v1alpha2': 'istio',
  'smi:v1alpha3': 'istio',
  traefik: 'traefik',
};

/** The default provider when neither the Canary nor the stepper names one (Flagger's default). */
export const DEFAULT_PROVIDER: ProviderName = 'istio';

export const isProviderName = (value: unknown): value is ProviderName =>
  typeof value === 'string' && (FLAGGER_PROVIDERS as readonly string[]).includes(value);

export const isDavyProvider = (value: unknown): value is DavyProvider =>
  typeof value === 'string' && (DAVY_PROVIDERS as readonly string[]).includes(value);

export const isTrafficSplitProvider = (value: unknown): value is TrafficSplitProvider =>
  typeof value === 'string' && (TRAFFIC_SPLIT_PROVIDERS as readonly string[]).includes(value);

export const isGatewayApiProvider = (value: unknown): value is GatewayApiProvider =>
  typeof value === 'string' && (GATEWAY_API_PROVIDERS as readonly string[]).includes(value);

/** The provider a canary runs with: its own, else the stepper's --mesh-provider, else istio. */
export const resolveProvider = (specProvider: ProviderName | undefined, meshProvider?: ProviderName): ProviderName =>
  specProvider ?? meshProvider ?? DEFAULT_PROVIDER;
