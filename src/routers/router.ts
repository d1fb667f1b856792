// The Router port (Flagger's four methods): how traffic is split between the stable pods
// (`primary`) and the canary copy (`canary`) for one provider. Weights are absolute targets, never
// increments, and the routing object is the source of truth: getRoutes reads them back from it,
// so a stepper that crashed between writing its state and setting routes repairs it next pass.
//
// Expected outcomes (weights the provider cannot express, a target without a selector label, an
// object controlled by someone else) are Result values; API failures (network, 409 on a stale
// write) throw, and the next pass retries.
import type { DavyProvider } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { fail, ok, type Result } from '../workloads/result.js';
import type { Routes } from '../api/types-routing.js';

export { STABLE_ROUTES, type Routes } from '../api/types-routing.js';

export interface Router {
  /** Creates or converges the Services and routing objects; the weights in place are kept (100/0 when new). */
  reconcile(canary: Canary): Promise<Result<void>>;
  /** Sets the weights (and mirroring) absolutely; setting the same routes again changes nothing. */
  setRoutes(canary: Canary, routes: Routes): Promise<Result<void>>;
  /** The weights as the routing object has them now. */
  getRoutes(canary: Canary): Promise<Result<Routes>>;
  /** Removes Davy's routing objects and restores adopted ones, leaving all traffic on the stable pods. */
  finalize(canary: Canary): Promise<Result<void>>;
}

export interface RouterDeps {
  kube: KubeClient;
  /** nginx: the prefix of the canary annotations (Flagger's `-ingress-annotations-prefix`); default nginx.ingress.kubernetes.io. */
  ingressAnnotationsPrefix?: string;
  /** contour: the HTTPProxy's spec.ingressClassName (Flagger's `-ingress-class`); unset, the default Contour serves it. */
  ingressClass?: string;
}

export type RouterFactory = (deps: RouterDeps) => Router;


/** Whole percentages from 0 to 100 that add up to 100. */
export function checkRoutes(provider: DavyProvider, routes: Routes): Result<Routes> {
  const { primary, canary } = routes;
  const valid = (w: number) => Number.isInteger(w) && w >= 0 && w <= 100;
  if (!valid(primary) || !valid(canary) || primary + canary !== 100) {
    return fail('InvalidRoutes', `${provider}: weights must be whole percentages adding up to 100 (primary ${primary}, canary ${canary})`);
  }
  return ok(routes);
}

/** checkRoutes for a router that splits but cannot mirror (`object` names what it writes). */
export function checkSplit(provider: DavyProvider, routes: Routes, object: string): Result<Routes> {
  const checked = checkRoutes(provider, routes);
  if (checked.ok && routes.mirror) return fail('InvalidRoutes', `${provider}: ${object} cannot mirror traffic`);
  return checked;
}

/** Two relative weights (a mesh's own units) as whole percentages of their sum; both 0 is unreadable. */
export function routesFromWeights(primary: number, canary: number, where: string): Result<Routes> {
  const total = primary + canary;
  if (total <= 0) return fail('NotReconciled', `${where}: both weights are 0`);
  const primaryPercent = Math.round((primary * 100) / total);
  return ok({ primary: primaryPercent, canary: 100 - primaryPercent, mirror: false });
}
