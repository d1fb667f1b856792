// The router registry: one factory per provider Davy routes. The Record type makes a provider
// added to DAVY_PROVIDERS without a router here a compile error.
import type { DavyProvider } from '../api/providers.js';
import { APISIX_API_VERSION, apisixRouter } from './apisix.js';
import { APPMESH_API_VERSION, appmeshRouter } from './appmesh.js';
import { INGRESS_API_VERSION } from './canary-ingress.js';
import { CONTOUR_API_VERSION, contourRouter } from './contour.js';
import { GATEWAY_API_VERSION } from './gatewayapi-spec.js';
import { gatewayApiRouter } from './gatewayapi.js';
import { GLOO_API_VERSION, GLOO_GATEWAY_API_VERSION, glooRouter } from './gloo.js';
import { ISTIO_API_VERSION, istioRouter } from './istio.js';
import { kubernetesRouter } from './kubernetes.js';
import { KNATIVE_API_VERSION, knativeRouter } from './knative.js';
import { kumaRouter } from './kuma.js';
import { nginxRouter } from './nginx.js';
import type { Router, RouterDeps, RouterFactory } from './router.js';
import { skipperRouter } from './skipper.js';
import { TRAEFIK_API_VERSION, traefikRouter } from './traefik.js';
import { TRAFFIC_SPLIT_API_VERSION, trafficSplitRouter } from './traffic-split.js';

export const ROUTERS: Readonly<Record<DavyProvider, RouterFactory>> = {
  kubernetes: kubernetesRouter,
  istio: istioRouter,
  osm: trafficSplitRouter('osm'),
  linkerd: trafficSplitRouter('linkerd'),
  'smi:v1alpha1': trafficSplitRouter('smi:v1alpha1'),
  'smi:v1alpha2': trafficSplitRouter('smi:v1alpha2'),
  'smi:v1alpha3': trafficSplitRouter('smi:v1alpha3'),
  'gatewayapi:v1': gatewayApiRouter('gatewayapi:v1'),
  'gatewayapi:v1beta1': gatewayApiRouter('gatewayapi:v1beta1'),
  nginx: nginxRouter,
  skipper: skipperRouter,
  contour: contourRouter,
  traefik: traefikRouter,
  gloo: glooRouter,
  kuma: kumaRouter,
  apisix: apisixRouter,
  'appmesh:v1beta2': appmeshRouter,
  knative: knativeRouter,
};

export interface RoutingKind {
  apiVersion: string;
  kind: string;
}

const kinds = (apiVersion: string, ...names: string[]): RoutingKind[] => names.map((kind) => ({ apiVersion, kind }));
const INGRESS = kinds(INGRESS_API_VERSION, 'Ingress');

/**
 * The namespaced kinds each router reads and writes. The runner lists them before it reads the
 * Canaries, as src/runner/view.ts's ordering contract requires, so a write from a stale Canary
 * state fails on its resourceVersion instead of overwriting a newer stepper's. Kuma's TrafficRoute
 * is cluster-scoped and read directly each time.
 */
export const ROUTING_KINDS: Readonly<Record<DavyProvider, readonly RoutingKind[]>> = {
  kubernetes: [],
  istio: kinds(ISTIO_API_VERSION, 'VirtualService', 'DestinationRule'),
  osm: kinds(TRAFFIC_SPLIT_API_VERSION.osm, 'TrafficSplit'),
  linkerd: kinds(TRAFFIC_SPLIT_API_VERSION.linkerd, 'TrafficSplit'),
  'smi:v1alpha1': kinds(TRAFFIC_SPLIT_API_VERSION['smi:v1alpha1'], 'TrafficSplit'),
  'smi:v1alpha2': kinds(TRAFFIC_SPLIT_API_VERSION['smi:v1alpha2'], 'TrafficSplit'),
  'smi:v1alpha3': kinds(TRAFFIC_SPLIT_API_VERSION['smi:v1alpha3'], 'TrafficSplit'),
  'gatewayapi:v1': kinds(GATEWAY_API_VERSION['gatewayapi:v1'], 'HTTPRoute'),
  'gatewayapi:v1beta1': kinds(GATEWAY_API_VERSION['gatewayapi:v1beta1'], 'HTTPRoute'),
  nginx: INGRESS,
  skipper: INGRESS,
  contour: kinds(CONTOUR_API_VERSION, 'HTTPProxy'),
  traefik: kinds(TRAEFIK_API_VERSION, 'TraefikService'),
  gloo: [...kinds(GLOO_API_VERSION, 'Upstream'), ...kinds(GLOO_GATEWAY_API_VERSION, 'RouteTable')],
  kuma: [],
  apisix: kinds(APISIX_API_VERSION, 'ApisixRoute'),
  'appmesh:v1beta2': kinds(APPMESH_API_VERSION, 'VirtualNode', 'VirtualRouter', 'VirtualService'),
  // The Knative Service is the target too: listed once.
  knative: kinds(KNATIVE_API_VERSION, 'Service'),
};

export function createRouter(provider: DavyProvider, deps: RouterDeps): Router {
  return ROUTERS[provider](deps);
}

export { STABLE_ROUTES, checkRoutes, type Router, type RouterDeps, type RouterFactory, type Routes } from './router.js';
