// One pass over the canaries of this stepper's namespaces and shard:
//
//   1. LIST the Canaries, to learn which namespaces and kinds they need;
//   2. per namespace, one LIST per kind they need (workloads, Services, router objects,
//      autoscalers, then ConfigMaps and Secrets only when a template references them);
//   3. LIST the Canaries again: the states stepped are read after everything Davy writes, which
//      is what makes the resourceVersion guards of view.ts exclude a stale runner's writes;
//   4. step each canary (canary.ts), a bounded number at once, those with a run under way first.
//
// Reads per pass are bounded by a constant per namespace and kind; writes happen only for
// canaries whose state, status or cluster targets differ from what is stored.
import { createHash } from 'node:crypto';
import { API_VERSION } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import { isResting } from '../stepper/index.js';
import { stepCanary } from './canary.js';
import { prefetchNamespace } from './observe.js';
import type { CanaryReport, PassOptions, PassReport, RunnerDeps, Shard } from './types.js';
import { ClusterView, withoutManagedFields } from './view.js';
import { mapBounded } from '../lib/map-bounded.js';

export const DEFAULT_CONCURRENCY = 16;

/** The shard of a canary: the first 32 bits of SHA-256(`namespace/name`), modulo the shard count. */
export function shardOf(namespace: string, name: string, count: number): number {
  const digest = createHash('sha256').update(`${namespace}/${name}`).digest();
  return digest.readUInt32BE(0) % count;
}

const inShard = (canaries: Canary[], shard: Shard | undefined): Canary[] =>
  shard === undefined || shard.count <= 1
    ? canaries
    : canaries.filter((c) => shardOf(c.metadata.namespace ?? '', c.metadata.name ?? '', shard.count) === shard.index);

/** The Canaries of the pass's namespaces (all of them when none are named), in this shard. */
export async function listCanaries(kube: KubeClient, options: Pick<PassOptions, 'namespaces' | 'shard'>): Promise<Canary[]> {
  const namespaces = options.namespaces?.length ? [...new Set(options.namespaces)] : [undefined];
  const lists = await Promise.all(namespaces.map((ns) => kube.list(API_VERSION, 'Canary', ns)));
  const canaries = lists.flatMap((l) => l.items).map((o) => ({ ...withoutManagedFields(o), apiVersion: API_VERSION, kind: 'Canary' }) as unknown as Canary);
  return inShard(canaries, options.shard);
}

/**
 * Canaries with a run under way (or never stepped) first, resting ones after, each group in LIST
 * order: a pass reaches the steps that are due before it spends its time re-checking canaries with
 * nothing to do. The status may be a step behind the state; it only decides who waits.
 */
export function runsFirst(canaries: readonly Canary[]): Canary[] {
  const resting = (c: Canary): boolean => isResting(c.status?.phase ?? '');
  return [...canaries.filter((c) => !resting(c)), ...canaries.filter(resting)];
}

function byNamespace(canaries: readonly Canary[]): Map<string, Canary[]> {
  const groups = new Map<string, Canary[]>();
  for (const canary of canaries) {
    const ns = canary.metadata.namespace ?? '';
    groups.set(ns, [...(groups.get(ns) ?? []), canary]);
  }
  return groups;
}

export async function runPass(deps: RunnerDeps, options: PassOptions = {}): Promise<PassReport> {
  const startedAt = deps.clock();
  const began = performance.now();
  const view = new ClusterView(deps.kube);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const discovered = await listCanaries(deps.kube, options);
  let reports: CanaryReport[] = [];
  const turnsEnded = new Map<CanaryReport, number>();
  if (discovered.length > 0) {
    const groups = byNamespace(discovered);
    await mapBounded([...groups], concurrency, async ([namespace, canaries]) => {
      // A failed LIST fails the reads of that kind; the canaries that need it report it.
      await prefetchNamespace(view, namespace, canaries, options).catch((error: unknown) => {
        deps.logger.warn('cannot list what the canaries of a namespace need', { namespace, error });
      });
    });
    const canaries = runsFirst(await listCanaries(deps.kube, options));
    reports = await mapBounded(canaries, concurrency, (canary) => {
      if (options.signal?.aborted) {
        return Promise.resolve<CanaryReport>({ namespace: canary.metadata.namespace ?? '', name: canary.metadata.name ?? '', outcome: 'aborted' });
      }
      return stepCanary(canary, { deps, options, view }).then((report) => {
        turnsEnded.set(report, deps.clock().getTime());
        return report;
      });
    });
    deps.metrics?.totals(countBy(canaries));
  } else {
    deps.metrics?.totals({});
  }
  const durationMs = performance.now() - began;
  record(deps, reports, durationMs);
  return { startedAt: startedAt.toISOString(), durationMs, canaries: reports, ...earliestDue(reports, turnsEnded) };
}

/**
 * The schedule's inputs: the earliest due that came after its canary's turn (the pass could not act
 * on it), and whether a canary reported a due it had already reached at its turn (one it does not
 * act on yet, e.g. while it waits on the cluster, which the schedule must not spin on).
 */
export function earliestDue(reports: readonly CanaryReport[], turnsEnded: ReadonlyMap<CanaryReport, number>): Pick<PassReport, 'due' | 'overdue'> {
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

function countBy(canaries: readonly Canary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of canaries) counts[c.metadata.namespace ?? ''] = (counts[c.metadata.namespace ?? ''] ?? 0) + 1;
  return counts;
}

function record(deps: RunnerDeps, reports: readonly CanaryReport[], durationMs: number): void {
  const metrics = deps.metrics;
  const tally: Record<string, number> = {};
  for (const r of reports) {
    tally[r.outcome] = (tally[r.outcome] ?? 0) + 1;
    if (r.outcome === 'stepped') metrics?.canaryStepped();
    else if (r.outcome !== 'idle') metrics?.canarySkipped(r.outcome);
  }
  metrics?.pass(durationMs / 1000);
  deps.logger.debug('pass done', { durationMs: Math.round(durationMs), canaries: reports.length, ...tally });
}
