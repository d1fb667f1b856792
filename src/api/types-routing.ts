// The routing types Flagger borrows from Istio and the Gateway API (spec.service.*, analysis.match),
// and the traffic split every router sets and the stepper records.

/** Absolute traffic targets: percentages of all traffic, plus whether the canary gets a mirror. */
export interface Routes {
  /** Percent of traffic to the stable pods (`<svc>-primary`). */
  primary: number;
  /** Percent of traffic to the canary copy (`<svc>-canary`); primary + canary = 100. */
  canary: number;
  /** Shadow traffic to the canary copy (Istio only), by analysis.mirrorWeight. */
  mirror: boolean;
  /** Session affinity (analysis.sessionAffinity, weighted canaries on istio and Gateway API). */
  cookies?: SessionCookies;
}

/**
 * The cookies of session affinity, each `name=value` (Flagger's status.*SessionAffinityCookie). The
 * stepper records them; the router turns them into rules and Set-Cookie headers.
 */
export interface SessionCookies {
  /** This run's canary cookie: answers from the canary set it, and requests carrying it go to the canary. */
  canary?: string;
  /** This run's primary cookie (primaryCookieName): set by the stable pods for one interval, it keeps a client there. */
  primary?: string;
  /** The last run's canary cookie: answers to requests that still carry it expire it (Max-Age=-1). */
  expired?: string;
}

/** Everything to the stable pods. */
export const STABLE_ROUTES: Readonly<Routes> = { primary: 100, canary: 0, mirror: false };

export interface CustomMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface GatewayParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

/**
 * Davy's addition (spec.service.routeRef): an existing HTTPRoute in the Canary's namespace in which
 * Davy sets only the weights of the rules that send to the apex Service, instead of generating one.
 * Shaped like Gateway API's own local references (a policy's targetRef): group and kind default
 * to gateway.networking.k8s.io and HTTPRoute.
 */
export interface RouteReference {
  group?: string;
  kind?: string;
  name: string;
}

export interface HTTPRequestMirrorFilter {
  backendRef: { group?: string; kind?: string; name: string; namespace?: string; port?: number };
}

/** Istio StringMatch: exactly one of the members. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
}

/** Istio HTTPMatchRequest. `analysis.match` keeps only headers, queryParams and sourceLabels. */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  type?: 'ReplaceFullPath' | 'ReplacePrefixMatch';
}

export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface IstioHeaders {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface CorsPolicy {
  allowOrigin?: string[];
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
}

export interface IstioTrafficPolicy {
  connectionPool?: IstioConnectionPool;
  loadBalancer?: IstioLoadBalancer;
  outlierDetection?: IstioOutlierDetection;
  tls?: IstioClientTLS;
  portLevelSettings?: IstioPortTrafficPolicy[];
}

export interface IstioConnectionPool {
  tcp?: { maxConnections?: number; connectTimeout?: string };
  http?: {
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
  };
}

export interface IstioLoadBalancer {
  simple?: 'ROUND_ROBIN' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'LEAST_REQUEST';
  consistentHash?: {
    httpHeaderName?: string;
    httpCookie?: { name: string; path?: string; ttl?: string };
    useSourceIp?: boolean;
    httpQueryParameterName?: string;
    minimumRingSize?: number;
  };
  localityLbSetting?: {
    enabled?: boolean;
    distribute?: { from?: string; to?: Record<string, number> }[];
    failover?: { from?: string; to?: string }[];
    failoverPriority?: string[];
  };
  warmupDurationSecs?: string;
}

export interface IstioOutlierDetection {
  consecutiveErrors?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export interface IstioClientTLS {
  mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
}

export interface IstioPortTrafficPolicy {
  port?: { number?: number };
  connectionPool?: IstioConnectionPool;
  loadBalancer?: IstioLoadBalancer;
  outlierDetection?: IstioOutlierDetection;
  tls?: IstioClientTLS;
}
