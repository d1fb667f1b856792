// A small world for the runner's tests: MemoryKube holding an example's objects, a fake clock, a
// fake webhook caller and a fake Prometheus (doubles of Davy's own ports), the admission webhook's
// real decision applied to the user's updates, and a Deployment "controller" that rolls pods out
// when a Deployment is not paused and reports status. Passes run at the times the stepper asks for.
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { stepperIdentity, decideMutation } from '../../../src/admission/mutate.js';
import { ANNOTATION_STATE } from '../../../src/api/keys.js';
import { canonicalJson, templateRevision } from '../../../src/api/revision.js';
import type { Canary } from '../../../src/api/types.js';
import type { KubeClient, KubeObject, ObjectRef } from '../../../src/kube/client.js';
import { METRIC_PROVIDERS } from '../../../src/metrics/providers/index.js';
import type { MetricProvider, MetricProviderConfig, MetricProviderRegistry, MetricResult } from '../../../src/metrics/provider.js';
import { runPass, type PassOptions, type PassReport, type RunnerDeps } from '../../../src/runner/index.js';
import { parseState, type State } from '../../../src/stepper/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { WebhookCall, WebhookCaller, WebhookResult } from '../../../src/webhooks/caller.js';
import { canary as loadCanary, load, type FixtureFile } from '../../fixtures/routers/index.js';
import { MemoryKube } from '../../support/memory-kube.js';
import type { Deployment } from '../../../src/workloads/types.js';

export const STEPPER = 'system:serviceaccount:davy-system:davy-stepper';
export const START = Date.parse('2026-01-01T00:00:00Z');

export class FakeClock {
  constructor(public ms = START) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A healthy app: 100% success, a p99 of 100ms (the http observer's histogram is in seconds). */
export function healthy(query: string): MetricResult {
  if (!query.includes('histogram_quantile')) return { kind: 'ok', value: 100 };
  return { kind: 'ok', value: query.includes('_seconds_') ? 0.1 : 100 };
}

export interface HookAnswer {
  (call: WebhookCall): WebhookResult | undefined;
}

export interface World {
  kube: MemoryKube;
  clock: FakeClock;
  deps: RunnerDeps;
  options: PassOptions;
  hookCalls: WebhookCall[];
  /** Answers webhooks; default: 2xx. */
  hook: { answer?: HookAnswer };
  /** Answers metric queries (default: healthy); `configs` records how each provider was made. */
  metric: { answer?: (query: string) => MetricResult | undefined; configs: MetricProviderConfig[] };
  /** Pods each Deployment runs: the template revision and how many times they were replaced. */
  pods: Map<string, { revision: string; replaced: number }>;
}

export function world(canaryFile: FixtureFile = 'podinfo-canary-osm', ...files: FixtureFile[]): World {
  const clock = new FakeClock();
  const canary = loadCanary(canaryFile);
  const objects = (files.length ? files : (['podinfo-deployment'] as FixtureFile[])).flatMap((f) => load(f)).filter((o) => o.kind !== 'Canary');
  const kube = new MemoryKube(clock.now).seed(canary as unknown as KubeObject, ...objects);
  const hookCalls: WebhookCall[] = [];
  const hook: World['hook'] = {};
  const metric: World['metric'] = { configs: [] };
  const webhooks: WebhookCaller = {
    call: (call) => {
      hookCalls.push(call);
      return Promise.resolve(hook.answer?.(call) ?? { ok: true, status: 200, attempts: 1 });
    },
  };
  const fakeProm = (config: MetricProviderConfig): MetricProvider => {
    metric.configs.push(config);
    return {
      query: (text: string) => Promise.resolve(metric.answer?.(text) ?? healthy(text)),
      isOnline: () => Promise.resolve({ online: true as const }),
    };
  };
  const metricProviders: MetricProviderRegistry = { ...METRIC_PROVIDERS, prometheus: fakeProm };
  const deps: RunnerDeps = { kube, clock: clock.now, logger: silentLogger(), webhooks, metricProviders, reported: new Set() };
  const w: World = { kube, clock, deps, options: {}, hookCalls, hook, metric, pods: new Map() };
  settle(w);
  return w;
}

const ref = (kind: string, name: string, namespace = 'test'): ObjectRef => {
  const apiVersion = { Deployment: 'apps/v1', Canary: 'flagger.app/v1beta1', HorizontalPodAutoscaler: 'autoscaling/v2', ScaledObject: 'keda.sh/v1alpha1' }[kind] ?? 'v1';
  return { apiVersion, kind, name, namespace };
};

export const get = <T extends KubeObject = KubeObject>(w: World, kind: string, name: string, namespace = 'test'): T | undefined =>
  w.kube.peek<T>(ref(kind, name, namespace));

export const deployment = (w: World, name = 'podinfo', namespace = 'test'): Deployment | undefined => get<Deployment>(w, 'Deployment', name, namespace);

/** A Deployment's template revision, image and replica count, for assertions. */
export function workloadFacts(w: World, name = 'podinfo'): { revision: string; image: unknown; replicas: number | undefined; paused: boolean | undefined } {
  const d = deployment(w, name);
  return { revision: templateRevision(d?.spec?.template), image: d?.spec?.template?.spec?.containers?.[0]?.image, replicas: d?.spec?.replicas, paused: d?.spec?.paused };
}

export function canaryOf(w: World, name = 'podinfo'): Canary | undefined {
  return get(w, 'Canary', name) as unknown as Canary | undefined;
}

export function stateOf(w: World, name = 'podinfo', namespace = 'test'): State {
  return parseState(get(w, 'Canary', name, namespace)?.metadata.annotations?.[ANNOTATION_STATE]).state;
}

/** The Deployment controller, roughly: pods follow the template unless paused; status reports them. */
export function settle(w: World): void {
  for (const d of w.kube.objects('Deployment')) {
    const spec = (d.spec ?? {}) as { replicas?: number; paused?: boolean; template?: unknown };
    const key = `${d.metadata.namespace ?? ''}/${d.metadata.name ?? ''}`;
    const revision = templateRevision(spec.template);
    let pods = w.pods.get(key) ?? { revision, replaced: 0 };
    if (!spec.paused && pods.revision !== revision) pods = { revision, replaced: pods.replaced + 1 };
    w.pods.set(key, pods);
    const desired = spec.replicas ?? 1;
    const status = {
      observedGeneration: d.metadata.generation,
      replicas: desired,
      updatedReplicas: pods.revision === revision ? desired : 0,
      availableReplicas: desired,
      readyReplicas: desired,
    };
    if (canonicalJson(status) !== canonicalJson(d.status ?? {})) void w.kube.replaceStatus({ ...d, status });
  }
}

/** A user (not the stepper) updates a Deployment; the mutating webhook's decision is applied. */
export async function userUpdate(w: World, name: string, change: (d: Deployment) => void, namespace = 'test'): Promise<void> {
  await flush(); // the simulated controller's status writes land first
  const old = deployment(w, name, namespace)!;
  const next = structuredClone(old);
  change(next);
  const decision = decideMutation(
    {
      uid: 'u1', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, name, namespace, operation: 'UPDATE',
      userInfo: { username: 'alice', groups: [] }, object: next, oldObject: old, dryRun: false,
    },
    stepperIdentity([STEPPER]),
  );
  const patched = fastJsonPatch.applyPatch(next, decision.patch as Operation[], false, false).newDocument;
  await w.kube.replace(patched);
}

export const setImage = (w: World, image: string, name = 'podinfo', namespace = 'test'): Promise<void> =>
  userUpdate(w, name, (d) => {
    const container = d.spec?.template?.spec?.containers?.[0];
    if (container) container.image = image;
  }, namespace);

/** One pass at the current time, the cluster's controllers settling before and after. */
export async function pass(w: World, options: PassOptions = w.options): Promise<PassReport> {
  await flush();
  settle(w);
  await flush();
  const report = await runPass(w.deps, options);
  await flush();
  settle(w);
  await flush();
  return report;
}

/** Lets MemoryKube's asynchronous answers (the controller's status writes) land. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Passes at the times the stepper asks for (at least 1s apart, at most 10s), until `done` holds.
 * `each` runs after every pass (assertions over the cluster as it moves).
 */
export async function passUntil(w: World, done: (w: World) => boolean, maxPasses = 200, each?: (w: World) => void): Promise<number> {
  for (let i = 0; i < maxPasses; i += 1) {
    if (done(w)) return i;
    const report = await pass(w);
    each?.(w);
    const due = report.due ? Date.parse(report.due) : Number.NaN;
    const next = Number.isNaN(due) ? w.clock.ms + 10_000 : Math.min(w.clock.ms + 10_000, Math.max(due, w.clock.ms + 1000));
    w.clock.ms = next;
  }
  if (done(w)) return maxPasses;
  throw new Error(`not done after ${maxPasses} passes: phase ${stateOf(w).phase}`);
}

export const phaseIs = (phase: string) => (w: World): boolean => stateOf(w).phase === phase;

/** A TrafficSplit's weight for the `<name>-canary` backend, or undefined when it has none. */
export function canaryWeightOf(split: KubeObject | undefined): number | undefined {
  const backends = (split?.spec as { backends?: { service: string; weight: number }[] } | undefined)?.backends;
  return backends?.find((b) => b.service === `${split?.metadata.name ?? ''}-canary`)?.weight;
}

/** The canary weight of the TrafficSplit now, or undefined when there is none. */
export function splitWeight(w: World, name = 'podinfo'): number | undefined {
  return canaryWeightOf(w.kube.peek({ apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', name, namespace: 'test' }));
}

/** Messages of the core/v1 Events on the Canary, oldest first. */
export function events(w: World): string[] {
  return w.kube
    .objects('Event')
    .sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)) || (a.metadata.resourceVersion ?? '').localeCompare(b.metadata.resourceVersion ?? '', undefined, { numeric: true }))
    .map((e) => String(e.message));
}

/** Requests of each write verb MemoryKube answered. */
export function writes(w: World): number {
  const r = w.kube.requests;
  return r.create + r.replace + r.replaceStatus + r.patch + r.delete;
}

export type WriteVerb = 'create' | 'replace' | 'replaceStatus' | 'patch' | 'delete';

/**
 * A KubeClient in front of MemoryKube that sees every write of one runner: `before` may fail a
 * write (returning an error), `after` sees what was stored. A double of Davy's own port.
 */
export function tap(inner: KubeClient, hooks: { before?: (verb: WriteVerb, ref: ObjectRef) => Error | undefined; after?: (verb: WriteVerb, object: KubeObject | undefined, ref: ObjectRef) => Error | undefined }): KubeClient {
  const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', namespace: o.metadata.namespace ?? '' });
  const wrap = async <T>(verb: WriteVerb, ref: ObjectRef, run: () => Promise<T>): Promise<T> => {
    const refused = hooks.before?.(verb, ref);
    if (refused) throw refused;
    const result = await run();
    const crashed = hooks.after?.(verb, typeof result === 'object' ? (result as KubeObject) : undefined, ref);
    if (crashed) throw crashed;
    return result;
  };
  return {
    get: (ref) => inner.get(ref),
    list: (apiVersion, kind, namespace, options) => inner.list(apiVersion, kind, namespace, options),
    create: (o, options) => wrap('create', refOf(o), () => inner.create(o, options)),
    replace: (o, options) => wrap('replace', refOf(o), () => inner.replace(o, options)),
    replaceStatus: (o, options) => wrap('replaceStatus', refOf(o), () => inner.replaceStatus(o, options)),
    patch: (ref, p, options) => wrap('patch', ref, () => inner.patch(ref, p, options)),
    delete: (ref, options) => wrap('delete', ref, () => inner.delete(ref, options)),
  };
}

/** Canary weights of every TrafficSplit write, in order. */
export function splitWrites(into: number[]): (verb: WriteVerb, object: KubeObject | undefined) => undefined {
  return (_verb, object) => {
    if (object?.kind !== 'TrafficSplit') return undefined;
    const weight = canaryWeightOf(object);
    if (weight !== undefined) into.push(weight);
    return undefined;
  };
}

/** Consecutive repeats removed. */
export const changes = (values: readonly number[]): number[] => values.filter((v, i) => i === 0 || v !== values[i - 1]);

/** Makes the world's Canary smaller or different before the first pass. */
export async function editCanary(w: World, change: (c: Canary) => void, name = 'podinfo'): Promise<void> {
  const c = canaryOf(w, name)!;
  change(c);
  await w.kube.replace(c as unknown as KubeObject);
}
