// The shape that contour, traefik (and later kuma, apisix) share: one routing object that Davy
// creates and owns outright, holding both weights. The provider says where the object lives, how
// it looks for some routes, and how to read the routes back; converging it (Services first, the
// weights in place kept when none are asked for), reading it and deleting it on finalize are here.
//
// An object of that name that Davy did not create is never taken over: it is an ObjectConflict
// problem naming it, and nothing is written (Flagger overwrites it). Deleting the object on
// finalize leaves the user's own routing (an IngressRoute naming the TraefikService, a root
// HTTPProxy including this one) pointing at nothing Davy made: the docs of each provider say what
// the user keeps.
import type { DavyProvider } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import { refOf, type KubeClient, type KubeObject, type ObjectRef } from '../kube/client.js';
import { converged, ownershipOf } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { deleteIfOurs, write } from './objects.js';
import { STABLE_ROUTES, checkSplit, type Router, type RouterDeps, type RouterFactory, type Routes } from './router.js';
import { finalizeServices, reconcileServices } from './services.js';

export interface OwnedObjectShape<T extends KubeObject> {
  provider: DavyProvider;
  kind: string;
  /** Where the routing object of a Canary lives. */
  ref(canary: Canary): ObjectRef;
  /** The whole object for `routes`, with Davy's metadata (ownedMetadata). */
  build(canary: Canary, routes: Routes): Result<T>;
  /** The routes a stored object holds. */
  read(object: T, canary: Canary): Result<Routes>;
  /**
   * For objects that cannot name their Canary as owner (cluster-scoped ones): why a stored object
   * that carries this Canary's name is still another's, or undefined when it is this one's.
   */
  claimedElsewhere?(object: T, canary: Canary): string | undefined;
}

const describe = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** The parts of a router that splits without mirroring; splitRouter adds the checks and the Services' finalization. */
export interface SplitParts {
  /** Converges the routing object to `routes`, or keeps the routes it has when undefined. */
  converge(canary: Canary, routes: Routes | undefined): Promise<Result<void>>;
  read(canary: Canary): Promise<Result<Routes>>;
  /** Deletes Davy's routing object (the Services follow). */
  remove(canary: Canary): Promise<void>;
}

export function splitRouter(kube: KubeClient, provider: DavyProvider, object: string, parts: SplitParts): Router {
  return {
    reconcile: (canary) => parts.converge(canary, undefined),

    async setRoutes(canary, routes) {
      const checked = checkSplit(provider, routes, object);
      return checked.ok ? parts.converge(canary, routes) : failed(checked);
    },

    getRoutes: (canary) => parts.read(canary),

    async finalize(canary) {
      await parts.remove(canary);
      return finalizeServices(kube, canary, provider);
    },
  };
}

export function ownedObjectRouter<T extends KubeObject>(shapeOf: (deps: RouterDeps) => OwnedObjectShape<T>): RouterFactory {
  return (deps) => {
    const shape = shapeOf(deps);
    const { kube } = deps;
    return splitRouter(kube, shape.provider, `a ${shape.kind}`, {
      converge: (canary, routes) => converge(kube, shape, canary, routes),
      async read(canary) {
        const ref = shape.ref(canary);
        const found = await kube.get<T>(ref);
        return found ? shape.read(found, canary) : fail('NotReconciled', `${describe(ref)} not found`);
      },
      async remove(canary) {
        const found = await kube.get<T>(shape.ref(canary));
        if (found && !shape.claimedElsewhere?.(found, canary)) await deleteIfOurs(kube, canary, shape.ref(canary));
      },
    });
  };
}

async function converge<T extends KubeObject>(kube: KubeClient, shape: OwnedObjectShape<T>, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const services = await reconcileServices(kube, canary, shape.provider, 'primary');
  if (!services.ok) return services;
  const ref = shape.ref(canary);
  const existing = await kube.get<T>(ref);
  const elsewhere = existing && shape.claimedElsewhere?.(existing, canary);
  if (elsewhere) return fail('ObjectConflict', `${describe(ref)} ${elsewhere}`);
  const current = existing && shape.read(existing, canary);
  const desired = shape.build(canary, routes ?? (current?.ok ? current.value : STABLE_ROUTES));
  if (!desired.ok) return failed(desired);
  return writeOwned(kube, canary, desired.value, existing);
}

/** Writes an object only Davy may own: one of that name that Davy did not create is an ObjectConflict, left as it is. */
export async function writeOwned<T extends KubeObject>(kube: KubeClient, canary: Canary, desired: T, existing: T | undefined): Promise<Result<void>> {
  const owner = existing && ownershipOf(existing, canary);
  if (owner && owner.kind !== 'ours') {
    const by = owner.kind === 'foreign' ? `is controlled by ${owner.owner}` : 'exists and is not Davy\'s (delete it or rename the apex Service)';
    return fail('ObjectConflict', `${describe(refOf(desired))} ${by}`);
  }
  await write(kube, existing ? converged(existing, desired) : desired, existing);
  return ok(undefined);
}
