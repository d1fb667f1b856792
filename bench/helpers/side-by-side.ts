// The side-by-side benchmark's pieces (bench/side-by-side.bench.ts, issue 15): the controllers
// under test as host processes behind a counting proxy each, the same workload for both, and what
// is read from /proc about them. Each tool runs on a fresh control plane of its own (make bench
// runs the benchmark once per tool and size), both at their shipped defaults.
import path from 'node:path';
import type { Cluster } from '../../test/harness/cluster.js';
import { freePort, startProcess, type Managed } from '../../test/harness/process.js';
import { serviceAccountKubeconfig } from '../../test/harness/stepper.js';
import { BUNDLE } from './stepper-process.js';
import { shippedNodeFlags, shippedNodeOptions } from './webhook-memory.js';

export type Tool = 'davy' | 'flagger';

/** One controller process to watch (Davy has two: the stepper and the webhook). */
export interface Watched {
  name: string;
  pid: () => number | undefined;
}

/**
 * Flagger as its chart installs it: a ServiceAccount bound to cluster-admin (the chart's
 * ClusterRole is close to that), a token kubeconfig through the counting proxy, Flagger's own CRDs
 * in place of Davy's (same names, served by the same API server), every flag at its default but
 * the mesh provider and the kubeconfig (and `flags`, when given), and the metrics port on a free port.
 */
export async function startFlagger(
  cluster: Cluster, binary: string, crds: string, viaProxy: (file: string) => string, dir: string, flags: readonly string[] = [],
): Promise<Managed> {
  await cluster.kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', crds]);
  await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', 'canaries.flagger.app']);
  await cluster.kubectlOk(['-n', 'davy-system', 'create', 'serviceaccount', 'flagger']);
  await cluster.kubectlOk(['create', 'clusterrolebinding', 'flagger-bench', '--clusterrole=cluster-admin', '--serviceaccount=davy-system:flagger']);
  const kubeconfig = viaProxy(await serviceAccountKubeconfig(cluster, 'flagger', path.join(dir, 'flagger.kubeconfig')));
  const port = await freePort();
  return startProcess(binary, [`-kubeconfig=${kubeconfig}`, '-mesh-provider=kubernetes', `-port=${port}`, ...flags], path.join(dir, 'flagger.log'));
}

/**
 * Davy's stepper as `davy step --watch` (every flag at its default but the mesh provider), the
 * stepper's identity through the proxy, with the node flags and NODE_OPTIONS of deploy/'s CronJob.
 */
export function startDavyStepper(kubeconfig: string, dir: string): Managed {
  return startShippedStepper(kubeconfig, path.join(dir, 'stepper.log'));
}

/** `davy step --watch --mesh-provider kubernetes` with the CronJob's node flags and NODE_OPTIONS, and `extra` flags. */
export function startShippedStepper(kubeconfig: string, logFile: string, extra: string[] = []): Managed {
  const cronJob = 'deploy/stepper/cronjob.yaml';
  return startProcess(process.execPath, [...shippedNodeFlags(cronJob), ...BUNDLE.args, 'step', '--watch', '--kubeconfig', kubeconfig, '--mesh-provider', 'kubernetes', ...extra],
    logFile, { ...process.env, NODE_OPTIONS: shippedNodeOptions(cronJob) });
}

export interface CanaryPhase {
  key: string;
  phase: string;
}

/** Canary phases from status (Flagger's field, which Davy projects its state into). */
export async function phases(cluster: Cluster, namespaces: readonly string[]): Promise<CanaryPhase[]> {
  const lists = await Promise.all(namespaces.map((ns) => cluster.kube.list<{ apiVersion: string; kind: string; metadata: { name?: string; namespace?: string }; status?: { phase?: string } }>(
    'flagger.app/v1beta1', 'Canary', ns)));
  return lists.flatMap((l) => l.items).map((c) => ({ key: `${c.metadata.namespace}/${c.metadata.name}`, phase: c.status?.phase ?? '' }));
}

const RUNNING = new Set(['Progressing', 'Promoting', 'Finalising', 'Waiting', 'WaitingPromotion']);

/**
 * Follows a rollout by polling the Canaries every second: a canary is done when it has been seen
 * running and is now Succeeded or Failed. Resolves with the seconds from `start` to each one's done.
 */
export async function followRollout(cluster: Cluster, namespaces: readonly string[], expected: number, start: number, timeoutMs: number): Promise<{ doneAfter: number[]; failed: string[]; unfinished: number }> {
  const seenRunning = new Set<string>();
  const done = new Map<string, number>();
  const failed: string[] = [];
  while (done.size < expected && performance.now() - start < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = performance.now();
    for (const { key, phase } of await phases(cluster, namespaces)) {
      if (RUNNING.has(phase)) seenRunning.add(key);
      else if (seenRunning.has(key) && !done.has(key) && (phase === 'Succeeded' || phase === 'Failed')) {
        done.set(key, (now - start) / 1000);
        if (phase === 'Failed') failed.push(key);
      }
    }
  }
  return { doneAfter: [...done.values()], failed, unfinished: expected - done.size };
}

/** davy_webhook_requests_total by path, from the webhook's /metrics. */
export async function admissionCalls(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const byPath: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('davy_webhook_requests_total{')) continue;
    const p = /path="([^"]*)"/.exec(line)?.[1] ?? '?';
    byPath[p] = (byPath[p] ?? 0) + Number(line.split(' ').pop());
  }
  return byPath;
}
