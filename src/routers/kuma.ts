// The kuma provider (flagger-compat §5.2): a TrafficRoute `<svc>` (kuma.io/v1alpha1, cluster
// scoped) in the mesh the Canary's `kuma.io/mesh` annotation names (default `default`): traffic
// from every service (`kuma.io/service: "*"`) to the apex service `<svc>_<ns>_svc_<port>` is split
// between `<svc>-primary_<ns>_svc_<port>` and `<svc>-canary_<ns>_svc_<port>`.
//
// A cluster-scoped object cannot name a namespaced Canary as its owner (the garbage collector
// treats such a reference as unresolvable), so, as in Flagger, the route has no owner reference;
// Davy marks it with the Canary's label and deletes it on finalize. Its name is only `<svc>`, so
// podinfo canaries in two namespaces would share it: Davy tells them apart by the namespace in the
// route's destination and refuses (ObjectConflict) to write or delete another namespace's route,
// where Flagger would make them fight. Kuma removed TrafficRoute in favour of MeshHTTPRoute; this
// router serves the Kuma releases that still have it, as Flagger's does. No A/B, no mirroring.
import { effectiveService, type EffectiveService } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import type { KubeObject } from '../kube/client.js';
import { ownedMetadata } from '../workloads/meta.js';
import { fail, ok } from '../workloads/result.js';
import { ownedObjectRouter, type OwnedObjectShape } from './owned-object.js';
import { routesFromWeights } from './router.js';

export const KUMA_API_VERSION = 'kuma.io/v1alpha1';
/** The Canary annotation naming the Kuma mesh (Flagger's). */
export const ANNOTATION_KUMA_MESH = 'kuma.io/mesh';
const SERVICE_TAG = 'kuma.io/service';

interface Split {
  weight: number;
  destination: Record<string, string>;
}

export interface TrafficRoute extends KubeObject {
  kind: 'TrafficRoute';
  mesh?: string;
  spec?: {
    sources?: { match: Record<string, string> }[];
    destinations?: { match: Record<string, string> }[];
    conf?: { split?: Split[] };
  };
}

const serviceOf = (canary: Canary) => effectiveService(canary.spec, 'kuma');
/** Kuma's name for a Kubernetes Service port: `<name>_<namespace>_svc_<port>`. */
export const kumaService = (canary: Canary, name: string, svc: EffectiveService = serviceOf(canary)): string =>
  `${name}_${canary.metadata.namespace ?? ''}_svc_${svc.port}`;

export const kumaShape: OwnedObjectShape<TrafficRoute> = {
  provider: 'kuma',
  kind: 'TrafficRoute',
  ref: (canary) => ({ apiVersion: KUMA_API_VERSION, kind: 'TrafficRoute', name: serviceOf(canary).name }),

  build(canary, routes) {
    const svc = serviceOf(canary);
    const { namespace: _namespace, ownerReferences: _owner, ...metadata } = ownedMetadata(canary, svc.name);
    return ok({
      apiVersion: KUMA_API_VERSION,
      kind: 'TrafficRoute',
      mesh: canary.metadata.annotations?.[ANNOTATION_KUMA_MESH] || 'default',
      metadata,
      spec: {
        sources: [{ match: { [SERVICE_TAG]: '*' } }],
        destinations: [{ match: { [SERVICE_TAG]: kumaService(canary, svc.name, svc) } }],
        conf: {
          split: [
            { weight: routes.primary, destination: { [SERVICE_TAG]: kumaService(canary, svc.primaryName, svc) } },
            { weight: routes.canary, destination: { [SERVICE_TAG]: kumaService(canary, svc.canaryName, svc) } },
          ],
        },
      },
    });
  },

  read(object, canary) {
    const svc = serviceOf(canary);
    const where = `TrafficRoute ${object.metadata.name ?? ''}`;
    const weightOf = (name: string) => object.spec?.conf?.split?.find((s) => s.destination[SERVICE_TAG] === kumaService(canary, name, svc))?.weight;
    const primary = weightOf(svc.primaryName);
    const canaryWeight = weightOf(svc.canaryName);
    if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where} does not split between ${svc.primaryName} and ${svc.canaryName} of ${canary.metadata.namespace ?? ''}`);
    return routesFromWeights(primary, canaryWeight, where);
  },

  claimedElsewhere(object, canary) {
    const destination = object.spec?.destinations?.[0]?.match[SERVICE_TAG];
    const ours = kumaService(canary, serviceOf(canary).name);
    return destination === undefined || destination === ours ? undefined : `routes ${destination}, not ${ours}: it belongs to a Canary of another namespace`;
  },
};

export const kumaRouter = ownedObjectRouter(() => kumaShape);
