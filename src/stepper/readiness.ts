// Rollout readiness of a workload from its observed status (flagger-compat §3.7), with the ready
// threshold of the side it plays: canaryReadyThreshold for the copy, primaryReadyThreshold for the
// user's workload. Not ready is either worth waiting for, or final (Kubernetes' own deadline).

import type { CopyObservation, TargetObservation, WorkloadReadiness } from './observations.js';

export type Readiness = { ready: true } | { ready: false; final: boolean; detail: string };

const WAIT = (detail: string): Readiness => ({ ready: false, final: false, detail });

/** Flagger's rules: generation observed, all replicas updated, no old ones left, enough available. */
export function rolloutReadiness(
  name: string,
  status: WorkloadReadiness | undefined,
  thresholdPercent: number,
): Readiness {
  if (status === undefined) return WAIT('no status reported yet');
  if (status.progressDeadlineExceeded) return { ready: false, final: true, detail: `deployment "${name}" exceeded its progress deadline` };
  if (status.observedGeneration < status.generation) return WAIT('observed deployment generation less than desired generation');
  if (status.updated < status.desired) return WAIT(`${status.updated} out of ${status.desired} new replicas have been updated`);
  if (status.current > status.updated) return WAIT(`${status.current - status.updated} old replicas are pending termination`);
  const needed = Math.floor((status.updated * thresholdPercent) / 100);
  if (status.available < needed) return WAIT(`${status.available} of ${status.updated} updated replicas are available`);
  return { ready: true };
}

/** The copy is ready to be analysed: it runs `revision`, has pods, and they are available. */
export function copyReadiness(
  name: string,
  copy: CopyObservation,
  revision: string | undefined,
  threshold: number,
): Readiness {
  if (!copy.exists) return WAIT(`${name} does not exist yet`);
  if (revision !== undefined && copy.revision !== revision) return WAIT(`${name} does not run revision ${revision} yet`);
  if ((copy.readiness?.desired ?? 0) < 1) return WAIT(`0 of 0 updated replicas are available: ${name} is not scaled up yet`);
  return rolloutReadiness(name, copy.readiness, threshold);
}

/**
 * The user's workload finished rolling out `revision` after the hold was released: its template is
 * that revision, the hold is off, and the rollout is complete.
 */
export function targetRolledOut(
  name: string,
  target: TargetObservation,
  revision: string,
  threshold: number,
): Readiness {
  if (!target.exists) return { ready: false, final: true, detail: `${name} does not exist` };
  if (target.held) return WAIT(`the hold on ${name} is not released yet`);
  if (target.templateRevision !== revision) return WAIT(`${name} does not have revision ${revision}`);
  return rolloutReadiness(name, target.readiness, threshold);
}
