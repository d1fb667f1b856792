// A release under real traffic on the real node, for the tests that send requests through Traefik
// (traffic.test.ts over Gateway API, traffic-traefik.test.ts over a TraefikService): podinfo and
// the load tester in a namespace, the user's release, and a watcher that samples who answers at
// each canary weight.
import { expect } from 'chai';
import { inCluster } from './hooks.js';
import {
  canaryShare, canaryWeightIn, loadTester, traefikRequests, untilTraefikRoutes, versionsServed, type Gateway, type Target, type TraefikBackend,
} from '../harness/gateway.js';
import { PODINFO_NEXT, apply, canaryEvents, canaryPhase, podinfoDeployment } from './podinfo.js';
import { eventually } from '../harness/process.js';
import { ANNOTATION_STATE } from '../../src/api/keys.js';
import { queryOf, type CheckRecord } from '../../src/stepper/state.js';
import type { KubeObject } from '../../src/kube/client.js';

export const NEW_VERSION = '6.9.3';
export const OLD_VERSION = '6.9.2';

/**
 * The latency check's bound. Traefik's duration buckets are 0.1, 0.3, 1.2 and 5 s, so a P99 reads
 * as an interpolation inside one of them: on this shared 2-core machine a healthy podinfo's P99
 * lands in the 0.3-1.2 s bucket at times (up to 1,200 ms), and the slow release's in the 1.2-5 s
 * one (about 4,900 ms). 2,000 ms tells them apart; the tutorial's 500 ms would not.
 */
export const LATENCY_MAX_MS = 2000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Who answered `count` requests, asked again every second until `version` alone answered them or
 * `timeoutMs` passed: Traefik applies a route change seconds after the API server stored it (its
 * providers' 2 s throttle), later on a loaded machine. The last answers, for the assertion.
 */
export async function servedOnceSettled(
  gateway: Gateway, target: Target, version: string, count: number, timeoutMs = 30_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const served = await versionsServed(gateway, target, count);
    if (served.get(version) === count || Date.now() > deadline) return served;
    await sleep(1_000);
  }
}

export interface CanaryObject extends KubeObject {
  status?: { phase?: string; canaryWeight?: number; iterations?: number; sessionAffinityCookie?: string };
}

/**
 * At one canary weight: who answered 200 requests through Traefik, and the canary's share of what
 * Traefik counted meanwhile (those and the load tester's) in its own metrics.
 */
export interface Observation { weight: number; served: Map<string, number>; traefikShare?: number }

export const getCanary = (namespace: string) => inCluster().cluster.kube.get<CanaryObject>(
  { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace, name: 'podinfo' },
);

/**
 * podinfo (one replica), the load tester, `extra` objects and the Canary in a new namespace,
 * Initialized; `beforeCanary` runs just before the Canary is applied.
 */
export async function canaried(
  namespace: string, canary: KubeObject, extra: KubeObject[] = [],
  beforeCanary: () => Promise<unknown> = () => Promise.resolve(),
): Promise<void> {
  const { cluster } = inCluster();
  await cluster.createNamespace(namespace);
  await apply(cluster, [podinfoDeployment(namespace, 1), ...loadTester(namespace), ...extra]);
  await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/podinfo', '--timeout=120s']);
  await cluster.kubectlOk(['-n', namespace, 'rollout', 'status', 'deployment/flagger-loadtester', '--timeout=120s']);
  await beforeCanary();
  await apply(cluster, [canary]);
  await canaryPhase(cluster, namespace, 'Initialized', 150_000);
}

/** What a user types: the new tag, and for a faulty release podinfo's own fault switch. */
export async function release(namespace: string, env: Record<string, string> = {}): Promise<void> {
  const { cluster } = inCluster();
  await cluster.kubectlOk(['-n', namespace, 'set', 'image', 'deployment/podinfo', `podinfod=${PODINFO_NEXT}`]);
  if (Object.keys(env).length > 0) {
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    await cluster.kubectlOk(['-n', namespace, 'set', 'env', 'deployment/podinfo', ...assignments]);
  }
}

/** Where requests go and how Traefik names podinfo's two Services in its metrics. */
export interface Route { target: Target; backend: TraefikBackend }

/**
 * Until the Canary reaches `phase`: at each canary weight above 0, 200 requests through the gateway,
 * kept only if the weight did not move while they were sent.
 */
export async function watchRollout(
  gateway: Gateway, namespace: string, phase: string, timeoutMs: number, route: Route,
): Promise<Observation[]> {
  const seen: Observation[] = [];
  const sampled = new Set<number>();
  await eventually(`Canary ${namespace}/podinfo to reach ${phase}`, async () => {
    const before = await getCanary(namespace);
    const weight = before?.status?.canaryWeight ?? 0;
    if (before?.status?.phase === 'Progressing' && weight > 0 && !sampled.has(weight)) {
      await untilTraefikRoutes(gateway, namespace, `the canary at weight ${weight}`, (config) => canaryWeightIn(config, route.backend) === weight);
      const counted = await traefikRequests(gateway, route.backend);
      const served = await versionsServed(gateway, route.target, 200);
      const after = await getCanary(namespace);
      if (after?.status?.canaryWeight === weight) {
        sampled.add(weight);
        await sleep(1_500); // one more scrape
        const traefikShare = canaryShare(counted, await traefikRequests(gateway, route.backend));
        seen.push({ weight, served, traefikShare });
      }
    }
    return before?.status?.phase === phase ? true : undefined;
  }, timeoutMs, 500);
  return seen;
}

/** One line per sampled weight, for the test's log. */
export function describeObserved(observed: Observation[]): string {
  return observed.map((o) => `weight ${o.weight}%: ${o.served.get(NEW_VERSION) ?? 0}/200 to ${NEW_VERSION}` +
    (o.traefikShare === undefined ? '' : `, Traefik's metrics ${(100 * o.traefikShare).toFixed(1)}%`)).join('; ');
}

/**
 * Each sample's share of answers from the new version is within 15 points of the weight (200
 * requests at p = 0.5 have a standard deviation of 3.5 points: 15 is over four), and only the two
 * versions answered, never an error.
 */
export function expectSharesFollowWeights(observed: Observation[]): void {
  expect(observed, 'no step was sampled at a stable weight').to.not.be.empty;
  for (const { weight, served } of observed) {
    const share = (100 * (served.get(NEW_VERSION) ?? 0)) / 200;
    expect(Math.abs(share - weight), `weight ${weight}%, served ${JSON.stringify([...served])}`).to.be.at.most(15);
    expect([...served.keys()].sort(), 'only the two versions answer, never an error')
      .to.deep.equal([OLD_VERSION, NEW_VERSION].sort());
  }
}

/** The Warning events' messages of the Canary. */
async function warnings(namespace: string): Promise<string[]> {
  const events = await canaryEvents(inCluster().cluster, namespace);
  return events.filter((e) => (e as { type?: string }).type === 'Warning').map((e) => e.message);
}

/**
 * The Canary's Warning events that match `pattern`. Having none fails the test, and the failure
 * lists every Warning the Canary had: which check rolled it back, if not the expected one.
 */
export async function haltsMatching(namespace: string, pattern: RegExp, expected: string): Promise<string[]> {
  const all = await warnings(namespace);
  const halts = all.filter((m) => pattern.test(m));
  expect(halts, `${expected}; the Canary's Warning events: ${JSON.stringify(all)}`).to.not.be.empty;
  console.log(`      ${halts.join('; ')}`);
  return halts;
}

/** The metric checks the stepper recorded in the Canary's state (the last 50), oldest first. */
export async function metricChecks(namespace: string): Promise<CheckRecord[]> {
  const canary = await getCanary(namespace);
  const raw = canary?.metadata.annotations?.[ANNOTATION_STATE];
  if (!raw) return [];
  const checks = (JSON.parse(raw) as { checks?: CheckRecord[] }).checks ?? [];
  // The state keeps a metric's query once per revision: each check gets the one it was sent with.
  return checks.map((c, i) => ({ ...c, query: queryOf(checks.slice(0, i + 1), c) })).filter((c) => c.kind === 'metric');
}
