// The traefik provider (flagger-compat §5.2): a TraefikService `<svc>` (traefik.io/v1alpha1, the
// group Flagger moved to in 1.43) of kind weighted, splitting between the Services
// `<svc>-primary` and `<svc>-canary` on the Canary's port. As in Flagger, the canary entry is left
// out at weight 0, so Traefik never even resolves the idle copy, and with weight it goes through the
// Service's ClusterIP (`nativeLB`; see build). The user's IngressRoute names the
// TraefikService (`services: [{name: <svc>, kind: TraefikService}]`); it is the user's and Davy
// never touches it. No A/B, no mirroring.
import { effectiveService } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import type { KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, ok } from '../workloads/result.js';
import { namespacedRef } from './objects.js';
import { ownedObjectRouter, type OwnedObjectShape } from './owned-object.js';
import { routesFromWeights } from './router.js';

export const TRAEFIK_API_VERSION = 'traefik.io/v1alpha1';

export interface WeightedService {
  name: string;
  port?: number | string;
  weight?: number;
  nativeLB?: boolean;
  [key: string]: unknown;
}

export interface TraefikService extends KubeObject {
  kind: 'TraefikService';
  spec?: { weighted?: { services?: WeightedService[] } };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'traefik');

export const traefikShape: OwnedObjectShape<TraefikService> = {
  provider: 'traefik',
  kind: 'TraefikService',
  ref: (canary) => namespacedRef(canary, TRAEFIK_API_VERSION, traefikShape.kind, serviceOf(canary).name),

  build(canary, routes) {
    const svc = serviceOf(canary);
    const services: WeightedService[] = [{ name: svc.primaryName, port: svc.port, weight: routes.primary }];
    // Traefik builds a TraefikService only if every Service it names has a serving endpoint, and
    // otherwise drops all of it, the stable share too. The copy's EndpointSlice can lag the
    // readiness the stepper reads, which real traffic showed as a moment with no route at the
    // first step; through the ClusterIP Traefik needs none of the copy's endpoints, and a copy
    // that stops answering fails only its own share.
    if (routes.canary > 0) {
      services.push({ name: svc.canaryName, port: svc.port, weight: routes.canary, nativeLB: true });
    }
    return ok({ apiVersion: TRAEFIK_API_VERSION, kind: 'TraefikService', metadata: ownedMetadata(canary, svc.name), spec: { weighted: { services } } });
  },

  read(object, canary) {
    const svc = serviceOf(canary);
    const where = `TraefikService ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    const services = object.spec?.weighted?.services ?? [];
    const weightOf = (name: string) => services.find((s) => s.name === name)?.weight;
    const primary = weightOf(svc.primaryName);
    if (primary === undefined) return fail('NotReconciled', `${where} has no weighted service ${svc.primaryName}`);
    return routesFromWeights(primary, weightOf(svc.canaryName) ?? 0, where);
  },
};

export const traefikRouter = ownedObjectRouter(() => traefikShape);
