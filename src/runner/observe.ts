// Observing: what a namespace's canaries need listed (a fixed set of LIST calls per namespace and
// kind), and one canary's Observations read from those lists. Nothing here writes.
import { effectiveAnalysis } from '../api/defaults.js';
import { ANNOTATION_ACTION, ANNOTATION_COPY_REVISION, ANNOTATION_HELD, ANNOTATION_PENDING_REVISION, ANNOTATION_STABLE_REVISION, LABEL_CANARY } from '../api/keys.js';
import { isDavyProvider } from '../api/providers.js';
import { templateRevision } from '../api/revision.js';
import type { Canary } from '../api/types.js';
import { ROUTING_KINDS } from '../routers/index.js';
import { parseActionAnnotation, type ActionRequest, type Observations, type WorkloadReadiness } from '../stepper/index.js';
import { configRefs, trackConfigs, type TrackedConfigs } from '../workloads/config-tracking.js';
import type { Result } from '../workloads/result.js';
import { isWorkload, type ConfigObject, type Workload } from '../workloads/types.js';
import { isKnativeTarget, knativeObservations } from './knative.js';
import type { CanaryScope, PassOptions } from './types.js';
import type { ClusterView } from './view.js';

interface Kind {
  apiVersion: string;
  kind: string;
}

const CONFIG_MAPS: Kind = { apiVersion: 'v1', kind: 'ConfigMap' };
const SECRETS: Kind = { apiVersion: 'v1', kind: 'Secret' };

/** The kinds a canary reads and writes, besides config: its workloads, Services, router objects, autoscalers. */
export function kindsOf(canary: Canary, options: Pick<PassOptions, 'meshProvider'>): Kind[] {
  const kinds: Kind[] = [{ apiVersion: 'v1', kind: 'Service' }];
  const target = canary.spec.targetRef;
  if (target?.apiVersion && target.kind) kinds.push({ apiVersion: target.apiVersion, kind: target.kind });
  const scaler = canary.spec.autoscalerRef;
  if (scaler?.apiVersion && scaler.kind) kinds.push({ apiVersion: scaler.apiVersion, kind: scaler.kind });
  const mesh = options.meshProvider ? { meshProvider: options.meshProvider } : {};
  const provider = effectiveAnalysis(canary.spec, mesh).provider;
  if (isDavyProvider(provider)) kinds.push(...ROUTING_KINDS[provider]);
  return kinds;
}

const kindKey = (k: Kind): string => `${k.apiVersion}|${k.kind}`;

/**
 * Lists, for one namespace, every kind its canaries need, then the ConfigMaps and Secrets only
 * when a target's template references one. At most one LIST per kind.
 */
export async function prefetchNamespace(
  view: ClusterView,
  namespace: string,
  canaries: readonly Canary[],
  options: PassOptions,
): Promise<void> {
  const kinds = new Map<string, Kind>();
  for (const canary of canaries) for (const kind of kindsOf(canary, options)) kinds.set(kindKey(kind), kind);
  await Promise.all([...kinds.values()].map((k) => view.prefetch(k.apiVersion, k.kind, namespace)));
  const refs = [];
  for (const canary of canaries) {
    const target = await targetOf(view, canary).catch(() => undefined);
    refs.push(...configRefs(target?.spec?.template));
  }
  const lists: Promise<void>[] = [];
  if (refs.some((r) => r.kind === 'ConfigMap')) lists.push(view.prefetch(CONFIG_MAPS.apiVersion, CONFIG_MAPS.kind, namespace));
  if (refs.some((r) => r.kind === 'Secret')) lists.push(view.prefetch(SECRETS.apiVersion, SECRETS.kind, namespace));
  await Promise.all(lists);
}

async function targetOf(view: ClusterView, canary: Canary): Promise<Workload | undefined> {
  const { apiVersion, kind, name } = canary.spec.targetRef;
  const found = await view.get({ apiVersion, kind, name, namespace: canary.metadata.namespace ?? '' });
  return isWorkload(found) ? found : undefined;
}

export interface Observed {
  observations: Observations;
  target?: Workload;
  copy?: Workload;
  /** The checksums of the configs the target's template references, or why they cannot be read. */
  configs: Result<TrackedConfigs>;
  /** The action annotation was unreadable. */
  actionError?: string;
}

/** One canary's Observations from the pass's lists (and the router's reading of its own objects). */
export async function observe(scope: CanaryScope): Promise<Observed> {
  const { canary, view } = scope;
  const [targetObject, copyObject] = await Promise.all([view.get(scope.targetRef), view.get(scope.copyRef)]);
  const target = isWorkload(targetObject) ? targetObject : undefined;
  const copy = isWorkload(copyObject) ? copyObject : undefined;
  const configs = await trackedConfigs(view, canary, target);
  // Routes unreadable (a routing kind that cannot be listed) read as "not there yet".
  const routes = await scope.router.getRoutes(canary).catch((error: unknown) => {
    scope.log.warn('cannot read the routes', { error });
    return { ok: false } as const;
  });
  const parsedAction = parseActionAnnotation(canary.metadata.annotations?.[ANNOTATION_ACTION]);
  const action = parsedAction && !('error' in parsedAction) ? parsedAction : undefined;
  const { deletionTimestamp, finalizers, name, namespace } = canary.metadata;
  // A Knative Service is the target and, by its latest revision, the copy (src/runner/knative.ts).
  const knative = isKnativeTarget(scope.targetRef) && targetObject
    ? knativeObservations(targetObject, canary)
    : undefined;
  const observations: Observations = {
    canary: { name: name ?? '', namespace: namespace ?? '', finalizers: [...(finalizers ?? [])], ...(deletionTimestamp ? { deletionTimestamp } : {}) },
    target: knative?.target
      ?? (target ? targetObservation(target, canary) : { exists: false, held: false, labeled: false }),
    copy: knative?.copy
      ?? (copy ? { exists: true, ...copyRevision(copy), readiness: readinessOf(copy) } : { exists: false }),
    ...(routes.ok ? { routes: routes.value } : {}),
    trackedConfigs: configs.ok ? configs.value : {},
    ...(action ? { action: action satisfies ActionRequest } : {}),
  };
  return {
    observations,
    ...(target ? { target } : {}),
    ...(copy ? { copy } : {}),
    configs,
    ...(parsedAction && 'error' in parsedAction ? { actionError: parsedAction.error } : {}),
  };
}

async function trackedConfigs(
  view: ClusterView,
  canary: Canary,
  target: Workload | undefined,
): Promise<Result<TrackedConfigs>> {
  const refs = configRefs(target?.spec?.template);
  if (!target || refs.length === 0) return { ok: true, value: {} };
  const namespace = canary.metadata.namespace ?? '';
  const [configMaps, secrets] = await Promise.all([
    refs.some((r) => r.kind === 'ConfigMap') ? view.items<ConfigObject>(CONFIG_MAPS.apiVersion, CONFIG_MAPS.kind, namespace) : [],
    refs.some((r) => r.kind === 'Secret') ? view.items<ConfigObject>(SECRETS.apiVersion, SECRETS.kind, namespace) : [],
  ]);
  return trackConfigs(target.spec?.template, { configMaps, secrets });
}

/** What step() sees of the user's workload (the CLI previews actions with it too). */
export function targetObservation(target: Workload, canary: Canary): Observations['target'] {
  const annotations = target.metadata.annotations ?? {};
  const stable = annotations[ANNOTATION_STABLE_REVISION];
  const pending = annotations[ANNOTATION_PENDING_REVISION];
  return {
    exists: true,
    kind: target.kind,
    templateRevision: templateRevision(target.spec?.template),
    ...(stable ? { stableRevision: stable } : {}),
    ...(pending ? { pendingRevision: pending } : {}),
    held: annotations[ANNOTATION_HELD] !== undefined,
    labeled: target.metadata.labels?.[LABEL_CANARY] === canary.metadata.name,
    readiness: readinessOf(target),
  };
}

function copyRevision(copy: Workload): { revision?: string } {
  const revision = copy.metadata.annotations?.[ANNOTATION_COPY_REVISION];
  return revision ? { revision } : {};
}

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  readyReplicas?: number;
  desiredNumberScheduled?: number;
  currentNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberReady?: number;
  conditions?: { type?: string; reason?: string }[];
}

/** The rollout counts of a Deployment or DaemonSet, from its status (readiness.ts reads them). */
export function readinessOf(workload: Workload): WorkloadReadiness {
  const status = (workload.status ?? {}) as WorkloadStatus;
  const base = { generation: workload.metadata.generation ?? 0, observedGeneration: status.observedGeneration ?? 0 };
  if (workload.kind === 'DaemonSet') {
    return {
      ...base,
      desired: status.desiredNumberScheduled ?? 0,
      current: status.currentNumberScheduled ?? 0,
      updated: status.updatedNumberScheduled ?? 0,
      available: status.numberAvailable ?? 0,
      ready: status.numberReady ?? 0,
      progressDeadlineExceeded: false,
    };
  }
  return {
    ...base,
    // The API server defaults spec.replicas to 1.
    desired: workload.spec?.replicas ?? 1,
    current: status.replicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    progressDeadlineExceeded: (status.conditions ?? []).some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'),
  };
}
