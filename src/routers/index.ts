// The router registry: one factory per provider Davy routes. The Record type makes a provider
// added to DAVY_PROVIDERS without a router here a compile error.
import type { DavyProvider } from '../api/providers.js';
import { apisixRouter } from './apisix.js';
import { appmeshRouter } from './appmesh.js';
import { contourRouter } from './contour.js';
import { glooRouter } from './gloo.js';
import { istioRouter } from './istio.js';
import { kubernetesRouter } from './kubernetes.js';
import { kumaRouter } from './kuma.js';
import { nginxRouter } from './nginx.js';
import type { Router, RouterDeps, RouterFactory } from './router.js';
import { skipperRouter } from './skipper.js';
import { traefikRouter } from './traefik.js';
import { trafficSplitRouter } from './traffic-split.js';

export const ROUTERS: Readonly<Record<DavyProvider, RouterFactory>> = {
  kubernetes: kubernetesRouter,
  istio: istioRouter,
  osm: trafficSplitRouter('osm'),
  linkerd: trafficSplitRouter('linkerd'),
  'smi:v1alpha1': trafficSplitRouter('smi:v1alpha1'),
  'smi:v1alpha2': trafficSplitRouter('smi:v1alpha2'),
  'smi:v1alpha3': trafficSplitRouter('smi:v1alpha3'),
  nginx: nginxRouter,
  skipper: skipperRouter,
  contour: contourRouter,
  traefik: traefikRouter,
  gloo: glooRouter,
  kuma: kumaRouter,
  apisix: apisixRouter,
  'appmesh:v1beta2': appmeshRouter,
};

export function createRouter(provider: DavyProvider, deps: RouterDeps): Router {
  return ROUTERS[provider](deps);
}

export { STABLE_ROUTES, checkRoutes, type Router, type RouterDeps, type RouterFactory, type Routes } from './router.js';
