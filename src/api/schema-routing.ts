// Schemas of the routing fields Flagger borrows from Istio and the Gateway API (spec.service.* and
// spec.analysis.match), as Flagger's CRD declares them.

import { arr, bool, enumOf, int, mapOf, obj, str, stringMap, type Schema } from './schema-openapi.js';

const stringMatchOf = (keys: readonly string[], description?: string): Schema =>
  obj(Object.fromEntries(keys.map((k) => [k, str()])), description ? { description } : {});

/** Istio StringMatch: exact, prefix or regex (RE2). */
export const stringMatch = (description?: string): Schema => stringMatchOf(['exact', 'prefix', 'regex'], description);
/** Header matches in analysis.match also take a suffix (App Mesh, Contour). */
export const headerMatch = (): Schema => stringMatchOf(['exact', 'prefix', 'suffix', 'regex']);

export const httpMatchRequest = (): Schema =>
  obj({
    name: str('Name of the match, copied into the route'),
    uri: stringMatch(),
    scheme: stringMatch(),
    method: stringMatch(),
    authority: stringMatch(),
    headers: mapOf(stringMatch(), 'Header name to match'),
    port: int('Port on the host being addressed'),
    sourceLabels: stringMap('Labels of the calling workloads'),
    gateways: arr(str(), 'Gateways the match applies to'),
    queryParams: mapOf(stringMatch(), 'Query parameter to match'),
    ignoreUriCase: bool('Match the URI case-insensitively'),
    withoutHeaders: mapOf(stringMatch(), 'Headers that must not match'),
    sourceNamespace: str('Namespace of the calling workloads'),
  });

/** analysis.match keeps only headers, queryParams and sourceLabels (Flagger's schema drops the rest). */
export const abMatchRequest = (): Schema =>
  obj({
    headers: mapOf(headerMatch(), 'Header name to match'),
    queryParams: mapOf(stringMatch(), 'Query parameter to match'),
    sourceLabels: stringMap('Labels of the calling workloads (Istio mesh gateway only)'),
  });

const connectionPool = (): Schema =>
  obj({
    tcp: obj({ maxConnections: int(), connectTimeout: str() }),
    http: obj({
      h2UpgradePolicy: enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
      http1MaxPendingRequests: int(),
      http2MaxRequests: int(),
      maxRequestsPerConnection: int(),
      maxRetries: int(),
      idleTimeout: str(),
    }),
  });

const loadBalancer = (): Schema =>
  obj({
    simple: enumOf(['ROUND_ROBIN', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'LEAST_REQUEST']),
    consistentHash: obj({
      httpHeaderName: str(),
      httpCookie: obj({ name: str(), path: str(), ttl: str() }),
      useSourceIp: bool(),
      httpQueryParameterName: str(),
      minimumRingSize: int(),
    }),
    localityLbSetting: obj({
      enabled: bool(),
      distribute: arr(obj({ from: str(), to: mapOf(int()) })),
      failover: arr(obj({ from: str(), to: str() })),
      failoverPriority: arr(str()),
    }),
    warmupDurationSecs: str(),
  });

const outlierDetection = (): Schema =>
  obj({
    consecutiveErrors: int(),
    consecutiveGatewayErrors: int(),
    consecutive5xxErrors: int(),
    splitExternalLocalOriginErrors: bool(),
    consecutiveLocalOriginFailures: int(),
    interval: str(),
    baseEjectionTime: str(),
    maxEjectionPercent: int(),
    minHealthPercent: int(),
  });

const clientTls = (): Schema =>
  obj({
    mode: enumOf(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    clientCertificate: str(),
    privateKey: str(),
    caCertificates: str(),
    credentialName: str(),
    subjectAltNames: arr(str()),
    sni: str(),
  });

export const trafficPolicy = (): Schema =>
  obj(
    {
      connectionPool: connectionPool(),
      loadBalancer: loadBalancer(),
      outlierDetection: outlierDetection(),
      tls: clientTls(),
      portLevelSettings: arr(
        obj({
          port: obj({ number: int() }),
          connectionPool: connectionPool(),
          loadBalancer: loadBalancer(),
          outlierDetection: outlierDetection(),
          tls: clientTls(),
        }),
      ),
    },
    { description: 'Istio DestinationRule traffic policy for the primary and canary services' },
  );

const headerOperations = (): Schema => obj({ set: stringMap(), add: stringMap(), remove: arr(str()) });

export const headers = (): Schema =>
  obj({ request: headerOperations(), response: headerOperations() }, { description: 'Header operations on requests and responses' });

export const corsPolicy = (): Schema =>
  obj(
    {
      allowOrigin: arr(str()),
      allowOrigins: arr(stringMatch()),
      allowMethods: arr(str()),
      allowHeaders: arr(str()),
      exposeHeaders: arr(str()),
      maxAge: str(),
      allowCredentials: bool(),
    },
    { description: 'Cross-origin resource sharing policy' },
  );

const port = (): Schema => int(undefined, { minimum: 1, maximum: 65535 });

export const gatewayParentRef = (): Schema =>
  obj(
    { group: str(), kind: str(), namespace: str(), name: str(), sectionName: str(), port: port() },
    { required: ['name'] },
  );

/** Davy's addition, spec.service.routeRef: the user's HTTPRoute, in the Canary's namespace. */
export const routeReference = (): Schema =>
  obj(
    {
      group: str('API group of the route (default gateway.networking.k8s.io)'),
      kind: str('Kind of the route (default HTTPRoute)'),
      name: str('Name of the HTTPRoute in the Canary\'s namespace'),
    },
    {
      description: 'Davy addition: an existing HTTPRoute in which Davy sets only the weights of the rules sending to the apex service, restored on deletion (instead of generating one)',
      required: ['name'],
    },
  );

export const mirrorFilter = (): Schema =>
  obj(
    {
      backendRef: obj(
        { group: str(), kind: str(), name: str(), namespace: str(), port: port() },
        { required: ['name'] },
      ),
    },
    { required: ['backendRef'] },
  );

export const customMetadata = (description: string): Schema =>
  obj({ labels: stringMap(), annotations: stringMap() }, { description });
