// The skipper provider (flagger-compat §5.2): the canary Ingress `<ingress>-canary` is the user's
// Ingress with every path to the apex Service routed to `<svc>-primary` and repeated for
// `<svc>-canary`; skipper splits each such path by the JSON map in `zalando.org/backend-weights`.
// The clone's routes win over the user's Ingress (same host and path) through the `Weight(100)`
// predicate in `zalando.org/skipper-predicate`; at canary weight 0 a `False()` predicate turns
// the clone's routes off, so the user's Ingress serves alone, as before the canary. The user's own
// predicates stay, after Davy's. No A/B (skipper would need a predicate per header; Flagger has
// none either), no mirroring.
import { fail, ok } from '../workloads/result.js';
import { canaryIngressRouter, type CanaryIngressShape, type Ingress, type IngressPath } from './canary-ingress.js';
import { routesFromWeights } from './router.js';

export const SKIPPER_BACKEND_WEIGHTS = 'zalando.org/backend-weights';
export const SKIPPER_PREDICATE = 'zalando.org/skipper-predicate';
const PREFER = 'Weight(100)';
const DISABLE = 'False()';

/** Davy's predicates first, then the user's (skipper ANDs them with `&&`). */
export function skipperPredicate(user: string | undefined, canaryWeight: number): string {
  const theirs = (user ?? '').split('&&').map((p) => p.trim()).filter((p) => p !== '' && p !== PREFER && p !== DISABLE);
  return [...(canaryWeight === 0 ? [DISABLE] : []), PREFER, ...theirs].join(' && ');
}

export const skipperShape: CanaryIngressShape = {
  provider: 'skipper',
  owns: (key) => key === SKIPPER_BACKEND_WEIGHTS || key === SKIPPER_PREDICATE,

  spec(original, svc) {
    for (const rule of original.rules ?? []) {
      if (!rule.http) continue;
      rule.http.paths = rule.http.paths.flatMap((path): IngressPath[] => {
        if (path.backend.service?.name !== svc.name) return [path];
        const to = (name: string): IngressPath => ({ ...path, backend: { ...path.backend, service: { ...path.backend.service!, name } } });
        return [to(svc.primaryName), to(svc.canaryName)];
      });
    }
    if (original.defaultBackend?.service?.name === svc.name) original.defaultBackend.service.name = svc.primaryName;
    return original;
  },

  annotations(user, routes, canary) {
    const name = canary.spec.service.name || canary.spec.targetRef.name;
    const weights = { [`${name}-primary`]: routes.primary, [`${name}-canary`]: routes.canary };
    return ok({ ...user, [SKIPPER_BACKEND_WEIGHTS]: JSON.stringify(weights), [SKIPPER_PREDICATE]: skipperPredicate(user[SKIPPER_PREDICATE], routes.canary) });
  },

  read(clone: Ingress, canary) {
    const name = canary.spec.service.name || canary.spec.targetRef.name;
    const where = `Ingress ${clone.metadata.namespace ?? ''}/${clone.metadata.name ?? ''}`;
    const weights = parseWeights(clone.metadata.annotations?.[SKIPPER_BACKEND_WEIGHTS]);
    const primary = weights?.[`${name}-primary`];
    const canaryWeight = weights?.[`${name}-canary`];
    if (primary === undefined || canaryWeight === undefined) return fail('NotReconciled', `${where}: ${SKIPPER_BACKEND_WEIGHTS} has no weights for ${name}-primary and ${name}-canary`);
    return routesFromWeights(primary, canaryWeight, where);
  },
};

function parseWeights(text: string | undefined): Record<string, number> | undefined {
  try {
    const parsed: unknown = JSON.parse(text ?? '');
    if (parsed === null || typeof parsed !== 'object') return undefined;
    return Object.fromEntries(Object.entries(parsed).filter(([, w]) => typeof w === 'number' && Number.isFinite(w) && w >= 0));
  } catch {
    return undefined;
  }
}

export const skipperRouter = canaryIngressRouter(() => skipperShape);
