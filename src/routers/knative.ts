// The knative provider (flagger-compat §5.2): the Knative Service is both the target and the
// routing object. Its `spec.traffic` splits between two revisions of the same Service:
//
// - the primary: the revision pinned in the annotation `flagger.app/primary-revision` (Flagger's
//   key, so a Service moved from Flagger keeps its pin), `percent` = the primary weight;
// - the canary: `latestRevision: true`, the newest ready revision, `percent` = the canary weight.
//
// No Kubernetes Services, no copy, nothing scaled: Knative creates a revision for each change of
// the Service's template and routes by revision. The pin is what holds a new revision back (the
// role the held Deployment plays for the other routers); src/runner/knative.ts moves it at promotion.
//
// Reconcile pins the latest created revision when nothing is pinned yet and routes all traffic to
// the pin (Knative's default traffic, everything to the latest revision, would hand a new revision
// all traffic before any analysis). The weights are read back from `spec.traffic` (what Davy wrote,
// as every router reads its object) rather than `status.traffic` (what Knative applied, Flagger's
// choice). Finalize removes the pin and gives Knative back its default traffic.
import { KNATIVE_API_VERSION } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject, ObjectRef } from '../kube/client.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { write } from './objects.js';
import { STABLE_ROUTES, checkSplit, type Router, type RouterFactory, type Routes } from './router.js';

export { KNATIVE_API_VERSION };
/** Flagger's annotation on the Knative Service: the revision that serves as primary. */
export const ANNOTATION_PRIMARY_REVISION = 'flagger.app/primary-revision';

export interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  configurationName?: string;
  percent?: number;
  tag?: string;
}

export interface KnativeService extends KubeObject {
  spec?: { template?: Record<string, unknown>; traffic?: TrafficTarget[] };
  status?: {
    observedGeneration?: number;
    latestCreatedRevisionName?: string;
    latestReadyRevisionName?: string;
    traffic?: TrafficTarget[];
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/** Knative's own default: everything to the latest ready revision. */
export const KNATIVE_DEFAULT_TRAFFIC: readonly TrafficTarget[] = [{ latestRevision: true, percent: 100 }];

export const isKnativeTarget = (ref: { apiVersion?: string; kind?: string }): boolean =>
  ref.apiVersion === KNATIVE_API_VERSION && ref.kind === 'Service';

export const knativeServiceRef = (canary: Canary): ObjectRef => ({
  apiVersion: KNATIVE_API_VERSION, kind: 'Service', name: canary.spec.targetRef.name, namespace: canary.metadata.namespace ?? '',
});

const describe = (canary: Canary) => `Knative Service ${canary.metadata.namespace ?? ''}/${canary.spec.targetRef.name}`;

/** The pinned primary revision: the annotation, else (not pinned yet) the latest created revision. */
export function primaryRevision(service: KnativeService): string | undefined {
  return service.metadata.annotations?.[ANNOTATION_PRIMARY_REVISION] ?? service.status?.latestCreatedRevisionName;
}

/** spec.traffic for `routes`: the pinned revision first, then the latest revision. */
export function trafficFor(pinned: string, routes: Routes): TrafficTarget[] {
  return [
    { revisionName: pinned, latestRevision: false, percent: routes.primary },
    { latestRevision: true, percent: routes.canary },
  ];
}

/** The routes `spec.traffic` holds when it has Davy's shape (the pin and the latest revision), else why not. */
export function readTraffic(service: KnativeService, where: string): Result<Routes> {
  const pinned = service.metadata.annotations?.[ANNOTATION_PRIMARY_REVISION];
  const traffic = service.spec?.traffic ?? [];
  const primary = traffic.find((t) => t.revisionName !== undefined && t.revisionName === pinned && t.latestRevision !== true);
  const latest = traffic.find((t) => t.latestRevision === true && t.revisionName === undefined);
  if (!pinned || !primary || !latest || traffic.length !== 2) return fail('NotReconciled', `${where}: spec.traffic does not split between the pinned revision and the latest one`);
  const routes = { primary: primary.percent ?? 0, canary: latest.percent ?? 0, mirror: false };
  if (routes.primary + routes.canary !== 100) return fail('NotReconciled', `${where}: spec.traffic percents add up to ${routes.primary + routes.canary}, not 100`);
  return ok(routes);
}

/** The Service with `pinned` annotated and the traffic of `routes`. */
function withTraffic(service: KnativeService, pinned: string, traffic: TrafficTarget[]): KnativeService {
  return {
    ...service,
    metadata: { ...service.metadata, annotations: { ...(service.metadata.annotations ?? {}), [ANNOTATION_PRIMARY_REVISION]: pinned } },
    spec: { ...(service.spec ?? {}), traffic },
  };
}

/**
 * Promotion: `revision` becomes the pinned primary, in one write with the traffic (the percents kept,
 * the primary entry renamed), so the weights read back stay whole. Undefined when already pinned.
 */
export function repinned(service: KnativeService, revision: string): KnativeService | undefined {
  if (service.metadata.annotations?.[ANNOTATION_PRIMARY_REVISION] === revision) return undefined;
  const current = readTraffic(service, '');
  return withTraffic(service, revision, trafficFor(revision, current.ok ? current.value : STABLE_ROUTES));
}

async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
  const service = await kube.get<KnativeService>(knativeServiceRef(canary));
  if (!service) return fail('TargetMissing', `${describe(canary)} not found`);
  const pinned = primaryRevision(service);
  if (!pinned) return fail('NotReconciled', `${describe(canary)} has no revision yet (status.latestCreatedRevisionName is empty)`);
  const current = readTraffic(service, describe(canary));
  const wanted = routes ?? (current.ok ? current.value : STABLE_ROUTES);
  await write(kube, withTraffic(service, pinned, trafficFor(pinned, wanted)), service);
  return ok(undefined);
}

export const knativeRouter: RouterFactory = ({ kube }): Router => ({
  reconcile: (canary) => converge(kube, canary, undefined),

  async setRoutes(canary, routes) {
    const checked = checkSplit('knative', routes, 'a Knative Service');
    return checked.ok ? converge(kube, canary, routes) : failed(checked);
  },

  async getRoutes(canary) {
    const service = await kube.get<KnativeService>(knativeServiceRef(canary));
    return service ? readTraffic(service, describe(canary)) : fail('NotReconciled', `${describe(canary)} not found`);
  },

  async finalize(canary) {
    const service = await kube.get<KnativeService>(knativeServiceRef(canary));
    if (!service || service.metadata.annotations?.[ANNOTATION_PRIMARY_REVISION] === undefined) return ok(undefined);
    const { [ANNOTATION_PRIMARY_REVISION]: _pin, ...annotations } = service.metadata.annotations;
    await write(kube, { ...service, metadata: { ...service.metadata, annotations }, spec: { ...(service.spec ?? {}), traffic: structuredClone([...KNATIVE_DEFAULT_TRAFFIC]) } }, service);
    return ok(undefined);
  },
});
