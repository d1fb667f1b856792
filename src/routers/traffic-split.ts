// The SMI TrafficSplit family: osm, linkerd and smi:v1alpha1/2/3 (flagger-compat §5.2). One
// TrafficSplit `<svc>` splits traffic addressed to the root service (`hosts[0]`, else `<svc>`)
// between the backends `<svc>-primary` and `<svc>-canary`. No A/B, no mirroring.
//
// Weights: v1alpha2 and v1alpha3 take integers. v1alpha1 (linkerd's, via the linkerd-smi
// extension) takes a Kubernetes quantity (int-or-string in its CRD, relative like "500m"/"500m"):
// Davy writes the integer percentages as quantity strings ("90", "10"), as Flagger does, and reads
// any quantity back, normalised to percentages.
//
// An existing TrafficSplit that is not Davy's is adopted (its spec recorded, restored on
// finalize); one Davy made is deleted on finalize, and the mesh then routes the root service by
// its selector, which is the stable pods.
import { effectiveService, type EffectiveService } from '../api/defaults.js';
import type { TrafficSplitProvider } from '../api/providers.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { adoptionRecord, conflictOf, converged, ownedMetadata, ownershipOf, withAdoptionRecord, withoutAdoptionRecord } from '../workloads/meta.js';
import { fail, failed, ok, type Result } from '../workloads/result.js';
import { namespacedRef, write } from './objects.js';
import { STABLE_ROUTES, checkSplit, routesFromWeights, type RouterFactory, type Routes } from './router.js';
import { finalizeServices, reconcileServices } from './services.js';

export const TRAFFIC_SPLIT_API_VERSION: Record<TrafficSplitProvider, string> = {
  osm: 'split.smi-spec.io/v1alpha2',
  linkerd: 'split.smi-spec.io/v1alpha1',
  'smi:v1alpha1': 'split.smi-spec.io/v1alpha1',
  'smi:v1alpha2': 'split.smi-spec.io/v1alpha2',
  'smi:v1alpha3': 'split.smi-spec.io/v1alpha3',
};

interface Backend {
  service: string;
  weight: number | string;
}

export interface TrafficSplitSpec {
  service: string;
  backends: Backend[];
  [key: string]: unknown;
}

export interface TrafficSplit extends KubeObject {
  kind: 'TrafficSplit';
  spec?: TrafficSplitSpec;
}

export function trafficSplitRouter(provider: TrafficSplitProvider): RouterFactory {
  const apiVersion = TRAFFIC_SPLIT_API_VERSION[provider];
  const quantities = apiVersion.endsWith('/v1alpha1');
  const splitRef = (canary: Canary) => namespacedRef(canary, apiVersion, 'TrafficSplit', effectiveService(canary.spec, provider).name);

  async function converge(kube: KubeClient, canary: Canary, routes: Routes | undefined): Promise<Result<void>> {
    const services = await reconcileServices(kube, canary, provider, 'primary');
    if (!services.ok) return services;
    const svc = effectiveService(canary.spec, provider);
    const existing = await kube.get<TrafficSplit>(splitRef(canary));
    const conflict = conflictOf(canary, existing);
    if (conflict) return conflict;
    const current = existing && readRoutes(existing, svc);
    const target = routes ?? (current?.ok ? current.value : STABLE_ROUTES);
    const spec: TrafficSplitSpec = {
      service: canary.spec.service.hosts?.[0] ?? svc.name,
      backends: [
        { service: svc.primaryName, weight: quantities ? String(target.primary) : target.primary },
        { service: svc.canaryName, weight: quantities ? String(target.canary) : target.canary },
      ],
    };
    await write(kube, trafficSplit(canary, apiVersion, svc.name, spec, existing), existing);
    return ok(undefined);
  }

  return ({ kube }) => ({
    reconcile: (canary) => converge(kube, canary, undefined),

    async setRoutes(canary, routes) {
      const checked = checkSplit(provider, routes, 'TrafficSplit');
      return checked.ok ? converge(kube, canary, routes) : failed(checked);
    },

    async getRoutes(canary) {
      const split = await kube.get<TrafficSplit>(splitRef(canary));
      const svc = effectiveService(canary.spec, provider);
      if (!split) return fail('NotReconciled', `TrafficSplit ${canary.metadata.namespace ?? ''}/${svc.name} not found`);
      return readRoutes(split, svc);
    },

    async finalize(canary) {
      const split = await kube.get<TrafficSplit>(splitRef(canary));
      const owner = split && ownershipOf(split, canary);
      if (split && owner?.kind === 'ours') await kube.delete(splitRef(canary));
      if (split && owner?.kind === 'adopted') {
        const original = adoptionRecord<{ spec: TrafficSplitSpec }>(split)?.original.spec ?? split.spec;
        await write(kube, { ...split, metadata: withoutAdoptionRecord(split.metadata), ...(original ? { spec: original } : {}) }, split);
      }
      return finalizeServices(kube, canary, provider);
    },
  });
}

function trafficSplit(canary: Canary, apiVersion: string, name: string, spec: TrafficSplitSpec, existing: TrafficSplit | undefined): TrafficSplit {
  const desired: TrafficSplit = { apiVersion, kind: 'TrafficSplit', metadata: ownedMetadata(canary, name), spec };
  if (!existing) return desired;
  if (ownershipOf(existing, canary).kind === 'ours') return converged(existing, desired);
  const original = adoptionRecord<{ spec: TrafficSplitSpec | undefined }>(existing)?.original ?? { spec: existing.spec };
  return { ...existing, metadata: withAdoptionRecord(existing.metadata, { canary: canary.metadata.name ?? '', original }), spec };
}

/** The backends' weights as percentages of their sum. */
export function readRoutes(split: TrafficSplit, svc: EffectiveService): Result<Routes> {
  const name = `TrafficSplit ${split.metadata.namespace ?? ''}/${split.metadata.name ?? ''}`;
  const weightOf = (service: string) => parseQuantity(split.spec?.backends?.find((b) => b.service === service)?.weight);
  const primary = weightOf(svc.primaryName);
  const canary = weightOf(svc.canaryName);
  if (primary === undefined || canary === undefined) return fail('NotReconciled', `${name} has no readable weights for ${svc.primaryName} and ${svc.canaryName}`);
  return routesFromWeights(primary, canary, name);
}

const SUFFIXES: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity (`100`, `"500m"`, `"1.5"`, `"1e3"`, `"2Ki"`) as a number; undefined when unreadable or negative. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const found = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(value.trim());
  if (!found) return undefined;
  const [, digits = '', exponent, suffix = ''] = found;
  return Number(digits) * (exponent !== undefined ? 10 ** Number(exponent) : (SUFFIXES[suffix] ?? 1));
}
