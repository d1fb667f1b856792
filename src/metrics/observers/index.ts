// The builtin observers, keyed by src/api's BuiltinObserver: every observer has an entry, so a new
// one fails to compile until its queries are written.

import type { BuiltinObserver } from '../../api/providers.js';
import { apisixObserver } from './apisix.js';
import { appmeshObserver } from './appmesh.js';
import { contourObserver } from './contour.js';
import { glooObserver } from './gloo.js';
import { httpObserver } from './http.js';
import { istioObserver } from './istio.js';
import { knativeObserver } from './knative.js';
import { kumaObserver } from './kuma.js';
import { linkerdObserver } from './linkerd.js';
import { nginxObserver } from './nginx.js';
import type { Observer } from './observer.js';
import { osmObserver } from './osm.js';
import { skipperObserver } from './skipper.js';
import { traefikObserver } from './traefik.js';

export type { BuiltinQuery, Observer } from './observer.js';

export const OBSERVERS: Readonly<Record<BuiltinObserver, Observer>> = {
  istio: istioObserver,
  linkerd: linkerdObserver,
  osm: osmObserver,
  http: httpObserver,
  appmesh: appmeshObserver,
  contour: contourObserver,
  gloo: glooObserver,
  nginx: nginxObserver,
  skipper: skipperObserver,
  traefik: traefikObserver,
  kuma: kumaObserver,
  apisix: apisixObserver,
  knative: knativeObserver,
};
