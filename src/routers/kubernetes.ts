// The kubernetes provider: blue/green with no mesh. Traffic moves by switching the apex Service's
// selector between the stable pods and the copy's, in one write, so every new connection goes to
// one side or the other, never a mix. Only 100/0 and 0/100 exist; mirroring does not.
//
// Unlike Flagger (whose kubernetes provider never switches: users reach the new version only
// through the primary's rolling update), "canary 100" really routes the apex to the copy.
import { effectiveService } from '../api/defaults.js';
import type { Canary } from '../api/types.js';
import { selectorLabel } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { apexSide, type ApexSide } from '../workloads/services.js';
import type { Service } from '../workloads/types.js';
import { namespacedRef, readTarget } from './objects.js';
import { checkRoutes, type RouterFactory, type Routes } from './router.js';
import { finalizeServices, reconcileServices } from './services.js';

const ROUTES: Record<ApexSide, Routes> = {
  primary: { primary: 100, canary: 0, mirror: false },
  canary: { primary: 0, canary: 100, mirror: false },
};

function sideOf(routes: Routes): Result<ApexSide> {
  const checked = checkRoutes('kubernetes', routes);
  if (!checked.ok) return failed(checked);
  if (routes.mirror) return fail('InvalidRoutes', 'kubernetes: mirroring needs a mesh (istio)');
  if (routes.primary === 100) return ok('primary');
  if (routes.canary === 100) return ok('canary');
  return fail('InvalidRoutes', `kubernetes: only 100/0 and 0/100 can be routed by a Service selector (primary ${routes.primary}, canary ${routes.canary})`);
}

export const kubernetesRouter: RouterFactory = ({ kube }) => ({
  reconcile: (canary) => reconcileServices(kube, canary, 'kubernetes'),

  async setRoutes(canary, routes) {
    const side = sideOf(routes);
    if (!side.ok) return failed(side);
    return reconcileServices(kube, canary, 'kubernetes', side.value);
  },

  async getRoutes(canary: Canary) {
    const target = await readTarget(kube, canary);
    if (!target.ok) return failed(target);
    const label = selectorLabel(target.value);
    if (!label.ok) return failed(label);
    const name = effectiveService(canary.spec, 'kubernetes').name;
    const apex = await kube.get<Service>(namespacedRef(canary, 'v1', 'Service', name));
    const side = apex && apexSide(apex, label.value);
    if (!side) return fail('NotReconciled', `Service ${canary.metadata.namespace ?? ''}/${name} does not select either side`);
    return ok(ROUTES[side]);
  },

  finalize: (canary) => finalizeServices(kube, canary, 'kubernetes'),
});
