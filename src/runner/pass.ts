// One pass over the canaries of this stepper's namespaces and shard:
//
//   1. LIST the Canaries in chunks, to learn which namespaces and kinds they need (only their
//      specs are kept);
//   2. then namespace by namespace, a few at once, those with a run under way first:
//      a. one LIST per kind its canaries need (workloads, Services, router objects, autoscalers,
//         then ConfigMaps and Secrets only when a template references them);
//      b. LIST the namespace's Canaries again: the states stepped are read after everything Davy
//         writes in that namespace, which is what makes the resourceVersion guards of view.ts
//         exclude a stale runner's writes (a canary's objects live in its own namespace);
//      c. step each of them (canary.ts), a bounded number at once, those with a run under way
//         first; then the namespace's lists are let go, so a pass holds the objects of at most
//         NAMESPACES_AT_ONCE namespaces (measured: BENCHMARKS.md, "The stepper at scale").
//      Under the schedule, a namespace's turn (a to c) begins and ends through `options.turns`:
//      no other pass is in the namespace meanwhile, and its end says when the namespace is next
//      due (turns.ts); a stopped pass begins no further namespace.
//
// Reads per pass are bounded by a constant per namespace and kind; writes happen only for
// canaries whose state, status or cluster targets differ from what is stored.
import { createHash } from 'node:crypto';
import { API_VERSION } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { isResting as isRestingPhase } from '../stepper/index.js';
import { stepCanary } from './canary.js';
import { prefetchNamespace } from './observe.js';
import type { CanaryReport, Due, PassOptions, PassReport, RunnerDeps, Shard, ShardKey, TurnEnd } from './types.js';
import { ClusterView, withoutManagedFields } from './view.js';
import { mapBounded } from '../lib/map-bounded.js';

export const DEFAULT_CONCURRENCY = 16;
/**
 * Namespaces whose objects a pass holds at once. Each is listed, stepped and let go; two overlap
 * one namespace's LISTs with another's steps without holding the whole cluster.
 */
export const NAMESPACES_AT_ONCE = 2;

/**
 * The shard of a canary: the first 32 bits of SHA-256(`namespace/name`), or of the namespace alone
 * when sharding `by` namespace, modulo the shard count.
 */
export function shardOf(namespace: string, name: string, count: number, by: ShardKey = 'canary'): number {
  const digest = createHash('sha256').update(by === 'namespace' ? namespace : `${namespace}/${name}`).digest();
  return digest.readUInt32BE(0) % count;
}

const inShard = (canaries: Canary[], shard: Shard | undefined): Canary[] =>
  shard === undefined || shard.count <= 1
    ? canaries
    : canaries.filter((c) => shardOf(c.metadata.namespace ?? '', c.metadata.name ?? '', shard.count, shard.by) === shard.index);

/** The Canaries of the pass's namespaces (all of them when none are named), in this shard. */
export async function listCanaries(kube: KubeClient, options: Pick<PassOptions, 'namespaces' | 'shard'>): Promise<Canary[]> {
  const namespaces = options.namespaces?.length ? [...new Set(options.namespaces)] : [undefined];
  const lists = await Promise.all(namespaces.map((ns) => listIn(kube, ns)));
  return inShard(lists.flat(), options.shard);
}

async function listIn(kube: KubeClient, namespace: string | undefined): Promise<Canary[]> {
  const list = await kube.list(API_VERSION, 'Canary', namespace);
  return list.items.map(asCanary);
}

const asCanary = (o: KubeObject): Canary => ({ ...withoutManagedFields(o), apiVersion: API_VERSION, kind: 'Canary' }) as unknown as Canary;

/**
 * Canaries per chunk of the first LIST of a pass: what the pass holds of them at once while it
 * learns the namespaces (100 rather than 200: 4 MiB less at the peak of a pass over canaries with
 * full histories, for one more LIST per 100 canaries; BENCHMARKS.md, "Where that pass's memory was").
 */
export const DISCOVERY_CHUNK = 100;

/**
 * The first LIST of a pass, in chunks of DISCOVERY_CHUNK, reduced chunk by chunk to what
 * namespacesInOrder keeps: a cluster's Canaries (their states and statuses) are never all held at once.
 */
async function discover(kube: KubeClient, options: Pick<PassOptions, 'namespaces' | 'shard'>): Promise<Map<string, Canary[]>> {
  const namespaces = options.namespaces?.length ? [...new Set(options.namespaces)] : [undefined];
  const running: Canary[] = [];
  const resting: Canary[] = [];
  for (const namespace of namespaces) {
    let token: string | undefined;
    do {
      const chunk = await kube.list(API_VERSION, 'Canary', namespace, { limit: DISCOVERY_CHUNK, ...(token ? { continue: token } : {}) });
      for (const canary of inShard(chunk.items.map(asCanary), options.shard)) {
        (isResting(canary) ? resting : running).push(shellOf(canary));
      }
      token = chunk.continue;
    } while (token);
  }
  return namespacesInOrder([...running, ...resting]);
}

/**
 * Canaries with a run under way (or never stepped) first, resting ones after, each group in LIST
 * order: a pass reaches the steps that are due before it spends its time re-checking canaries with
 * nothing to do. The status may be a step behind the state; it only decides who waits.
 */
export function runsFirst(canaries: readonly Canary[]): Canary[] {
  return [...canaries.filter((c) => !isResting(c)), ...canaries.filter(isResting)];
}

/**
 * The stepper's resting phases, as the status shows them: the status may be a step behind the
 * state; it only decides who waits.
 */
const isResting = (c: Canary): boolean => isRestingPhase(c.status?.phase ?? '');

/** What decides which kinds to list for a canary: its name and spec, not its state or status. */
const shellOf = (canary: Canary): Canary =>
  ({ apiVersion: canary.apiVersion, kind: canary.kind, metadata: { name: canary.metadata.name, namespace: canary.metadata.namespace ?? '' }, spec: canary.spec });

/**
 * The canaries by namespace, namespaces with a run under way first (in LIST order otherwise), so
 * the steps that are due come before the re-checks of resting canaries. Only what decides which
 * kinds to list is kept (names and specs, not the states and statuses): each namespace's Canaries
 * are listed again after its objects, and those are what is stepped.
 */
export function namespacesInOrder(canaries: readonly Canary[]): Map<string, Canary[]> {
  const groups = new Map<string, Canary[]>();
  for (const canary of runsFirst(canaries)) {
    const namespace = canary.metadata.namespace ?? '';
    const shell = shellOf(canary);
    const group = groups.get(namespace);
    if (group) group.push(shell);
    else groups.set(namespace, [shell]);
  }
  return groups;
}

interface NamespaceTurn {
  reports: CanaryReport[];
  /** How many canaries of the namespace were stepped (the metrics' totals). */
  stepped: number;
}

/**
 * One namespace: the objects its canaries (`discovered`, as first listed) need, then its Canaries
 * again, each stepped; the lists are let go on return.
 */
async function passNamespace(
  deps: RunnerDeps,
  options: PassOptions,
  namespace: string,
  discovered: readonly Canary[],
  turnsEnded: Map<CanaryReport, number>,
): Promise<NamespaceTurn> {
  const view = new ClusterView(deps.kube);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  // A failed LIST fails the reads of that kind; the canaries that need it report it.
  await prefetchNamespace(view, namespace, discovered, options).catch((error: unknown) => {
    deps.logger.warn('cannot list what the canaries of a namespace need', { namespace, error });
  });
  const canaries = runsFirst(inShard(await listIn(deps.kube, namespace), options.shard));
  const reports = await mapBounded(canaries, concurrency, (canary) => {
    if (options.signal?.aborted) {
      return Promise.resolve<CanaryReport>({ namespace, name: canary.metadata.name ?? '', outcome: 'aborted' });
    }
    return stepCanary(canary, { deps, options, view }).then((report) => {
      turnsEnded.set(report, deps.clock().getTime());
      return report;
    });
  });
  return { reports, stepped: canaries.length };
}

export async function runPass(deps: RunnerDeps, options: PassOptions = {}): Promise<PassReport> {
  const startedAt = deps.clock();
  const began = performance.now();
  const groups = await discover(deps.kube, options);
  const turnsEnded = new Map<CanaryReport, number>();
  const totals: Record<string, number> = {};
  const turns = await mapBounded([...groups.keys()], NAMESPACES_AT_ONCE, async (namespace) => {
    const discovered = groups.get(namespace) ?? [];
    groups.delete(namespace);
    // Stopped: no namespace is begun (its LISTs would serve no canary).
    const aborted = (): CanaryReport[] => discovered.map((c) => ({ namespace, name: c.metadata.name ?? '', outcome: 'aborted' }));
    if (options.signal?.aborted) return aborted();
    const end = options.turns ? await options.turns.begin(namespace) : undefined;
    if (options.signal?.aborted) {
      end?.({ running: {}, resting: {}, canaries: 0 });
      return aborted();
    }
    if (options.turns && end === undefined) {
      // Another pass began there since this one did and saw what this one would, or the
      // namespace's own pass comes before the next whole pass (turns.ts).
      totals[namespace] = discovered.length;
      return [];
    }
    let turn: NamespaceTurn;
    try {
      turn = await passNamespace(deps, options, namespace, discovered, turnsEnded);
    } catch (error) {
      end?.({ running: {}, resting: {}, canaries: 0, retry: true });
      throw error;
    }
    end?.(turnDue(turn.reports, turnsEnded));
    if (turn.stepped > 0) totals[namespace] = turn.stepped;
    return turn.reports;
  });
  const reports = turns.flat();
  if (!options.partial) deps.metrics?.totals(totals);
  const durationMs = performance.now() - began;
  record(deps, reports, durationMs, options.partial ? options.namespaces : undefined);
  return { startedAt: startedAt.toISOString(), durationMs, canaries: reports, ...earliestDue(reports, turnsEnded) };
}

/**
 * When a namespace's canaries are next due, those with a run under way apart from the resting ones
 * (whose periodic step only looks for something new, as every whole pass does), and how many there are.
 */
export function turnDue(reports: readonly CanaryReport[], turnsEnded: ReadonlyMap<CanaryReport, number>): TurnEnd {
  const resting = reports.filter((r) => isRestingPhase(r.phase ?? ''));
  const running = reports.filter((r) => !isRestingPhase(r.phase ?? ''));
  const retry = reports.some((r) => r.outcome === 'error' || r.outcome === 'conflict');
  return {
    running: earliestDue(running, turnsEnded),
    resting: earliestDue(resting, turnsEnded),
    canaries: reports.length,
    ...(retry ? { retry } : {}),
  };
}

/**
 * The schedule's inputs: the earliest due that came after its canary's turn (the pass could not act
 * on it), and whether a canary reported a due it had already reached at its turn (one it does not
 * act on yet, e.g. while it waits on the cluster, which the schedule must not spin on).
 */
export function earliestDue(reports: readonly CanaryReport[], turnsEnded: ReadonlyMap<CanaryReport, number>): Due {
  let due: number | undefined;
  let overdue = false;
  for (const report of reports) {
    if (report.due === undefined) continue;
    const at = Date.parse(report.due);
    if (at <= (turnsEnded.get(report) ?? Number.NEGATIVE_INFINITY)) overdue = true;
    else if (due === undefined || at < due) due = at;
  }
  return { ...(due === undefined ? {} : { due: new Date(due).toISOString() }), ...(overdue ? { overdue } : {}) };
}

/** `namespaces`: the pass went over these alone (the schedule's namespace passes). */
function record(
  deps: RunnerDeps, reports: readonly CanaryReport[], durationMs: number, namespaces?: readonly string[],
): void {
  const metrics = deps.metrics;
  const tally: Record<string, number> = {};
  for (const r of reports) {
    tally[r.outcome] = (tally[r.outcome] ?? 0) + 1;
    if (r.outcome === 'stepped') metrics?.canaryStepped();
    else if (r.outcome !== 'idle') metrics?.canarySkipped(r.outcome);
  }
  metrics?.pass(namespaces ? 'namespace' : 'whole', durationMs / 1000);
  deps.logger.debug('pass done', { durationMs: Math.round(durationMs), canaries: reports.length, ...tally, ...(namespaces ? { namespaces } : {}) });
}
