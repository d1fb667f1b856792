// A MemoryKube holding an example's objects, and small assertions over end states.
import { expect } from 'chai';
import type { Canary } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/client.js';
import type { Router, Routes } from '../../../src/routers/router.js';
import type { Result } from '../../../src/workloads/result.js';
import { canary as loadCanary, load, type FixtureFile } from '../../fixtures/routers/index.js';
import { MemoryKube } from '../../support/memory-kube.js';

export interface Example {
  kube: MemoryKube;
  canary: Canary;
}

/** The Canary of `canaryFile` and every non-Canary object of `files`, stored in a fresh MemoryKube. */
export function example(canaryFile: FixtureFile, ...files: FixtureFile[]): Example {
  const canary = loadCanary(canaryFile);
  const objects = files.flatMap((f) => load(f)).filter((o) => o.kind !== 'Canary');
  const kube = new MemoryKube().seed(canary as unknown as KubeObject, ...objects);
  return { kube, canary };
}

export async function value<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (!result.ok) expect.fail(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

export async function problem<T>(pending: Promise<Result<T>>): Promise<string> {
  const result = await pending;
  if (result.ok) expect.fail('expected a problem, got a value');
  return result.error.code;
}

/** kind/name -> resourceVersion of every stored object: equal snapshots mean nothing was written. */
export function versions(kube: MemoryKube): Record<string, string> {
  return Object.fromEntries(kube.objects().map((o) => [`${o.kind}/${o.metadata.name ?? ''}`, o.metadata.resourceVersion ?? '']));
}

export const names = (kube: MemoryKube, kind: string): string[] => kube.objects(kind).map((o) => o.metadata.name ?? '').sort();

export interface RouterExample extends Example {
  router: Router;
}

/** Routes with `canary` percent on the copy. */
export const split = (canary: number): Routes => ({ primary: 100 - canary, canary, mirror: false });

/** A second reconcile of what the first one wrote changes nothing (no write at all). */
export async function reconcilesOnce(ex: RouterExample): Promise<void> {
  await value(ex.router.reconcile(ex.canary));
  const before = versions(ex.kube);
  await value(ex.router.reconcile(ex.canary));
  expect(versions(ex.kube)).to.deep.equal(before);
}

/**
 * A rollout through `weights`, then back to 0 as a rollback or the end of a promotion does: after
 * each step (and a reconcile, which must keep it), `check` sees the routing object and getRoutes
 * reads the weight back.
 */
export async function rollsOut(ex: RouterExample, weights: readonly number[], check: (weight: number) => void): Promise<void> {
  for (const weight of [...weights, 0]) {
    await value(ex.router.setRoutes(ex.canary, split(weight)));
    await value(ex.router.reconcile(ex.canary));
    check(weight);
    expect(await value(ex.router.getRoutes(ex.canary))).to.deep.equal(split(weight));
  }
}

/** Flagger's Knative tutorial with its Service as Knative reports it after its first revision. */
export function knativeExample(): Example {
  const ex = example('podinfo-canary-knative', 'podinfo-knative-service');
  const ref = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo', namespace: 'test' };
  const service = ex.kube.peek(ref)!;
  ex.kube.seed({ ...service, status: { observedGeneration: 1, latestCreatedRevisionName: 'podinfo-00001', latestReadyRevisionName: 'podinfo-00001' } });
  return ex;
}
