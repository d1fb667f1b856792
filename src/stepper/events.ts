// Event wording. Flagger's messages (flagger-compat §2.2, §10.2, examples/README.md) are kept
// word for word where Davy takes the same step; `c` is `<canary>.<namespace>` and `t` is
// `<targetRef.name>.<namespace>`, placed where Flagger places them. Where Davy's step differs,
// the message names what Davy touches:
//   Flagger "Copying <t> template spec to <target>-primary.<ns>"  -> releasingHold(t, revision)
//   Flagger "<target>-primary.<ns> not ready: waiting for rollout" -> waitingRollout(<t>, ...)
//   Flagger "canary deployment <t> not ready: ..."                -> waitingRollout(<copy>, ...)
//   Flagger "no values found ... probably <t> is not receiving"   -> names the copy, which the query selects
// Alert messages (§9) are here too. Messages with no Flagger counterpart say what happened and why.

import type { EventAction } from './actions.js';

const normal = (message: string): EventAction => ({ kind: 'event', type: 'Normal', reason: 'Synced', message });
const warning = (message: string): EventAction => ({ kind: 'event', type: 'Warning', reason: 'Synced', message });

// Lifecycle
export const initialized = (c: string) => normal(`Initialization done! ${c}`);
export const stateRecovered = (c: string, why: string) =>
  warning(`The state annotation of ${c} was unreadable (${why}): re-initialising from the cluster`);
export const newRevision = (t: string) => normal(`New revision detected! Scaling up ${t}`);
export const newRevisionSkipAnalysis = (t: string) => normal(`New revision detected! Promoting ${t} without analysis (skipAnalysis)`);
export const restarting = (t: string) => normal(`New revision detected! Restarting analysis for ${t}`);
export const notHeld = (t: string, revision: string) =>
  warning(`${t} is not held by Davy: its pods may already run revision ${revision} without analysis`);
export const reverted = (t: string, revision: string, stable: string) =>
  normal(`${t} was reverted to its stable revision ${stable}: the analysis of revision ${revision} is cancelled`);
export const startingAnalysis = (t: string) => normal(`Starting canary analysis for ${t}`);
export const suspended = () => normal('skipping canary run as object is suspended');
export const unsuspended = (c: string) => normal(`Resuming ${c}: spec.suspend is no longer set`);

// Gates and hooks
export const confirmRolloutPassed = (hook: string) => normal(`Confirm-rollout check ${hook} passed`);
export const confirmPromotionPassed = (hook: string) => normal(`Confirm-promotion check ${hook} passed`);
export const confirmTrafficIncreasePassed = (hook: string) => normal(`Confirm-traffic-increase check ${hook} passed`);
export const preRolloutPassed = (hook: string) => normal(`Pre-rollout check ${hook} passed`);
export const postRolloutPassed = (hook: string) => normal(`Post-rollout check ${hook} passed`);
export const postRolloutFailed = (hook: string, err: string) => warning(`Post-rollout hook ${hook} failed ${err}`);
export const rollbackHookNotSignaling = (hook: string) => normal(`Rollback hook ${hook} not signaling a rollback`);
export const rollbackCheckPassed = (hook: string) => warning(`Rollback check ${hook} passed`);
export const waitingApproval = (c: string, hook: string) => warning(`Halt ${c} advancement waiting for approval ${hook}`);
export const waitingPromotionApproval = (c: string, hook: string) => warning(`Halt ${c} advancement waiting for promotion approval ${hook}`);
export const waitingTrafficApproval = (c: string, hook: string) =>
  warning(`Halt ${c} advancement waiting for traffic increase approval ${hook}`);
export const preRolloutFailed = (c: string, hook: string, err: string) => warning(`Halt ${c} advancement pre-rollout check ${hook} failed ${err}`);
export const externalCheckFailed = (c: string, hook: string, err: string) => warning(`Halt ${c} advancement external check ${hook} failed ${err}`);

// Readiness
export const waitingRollout = (object: string, detail: string) => warning(`Waiting for ${object} rollout to finish: ${detail}`);
export const waitingTarget = (t: string) => warning(`Waiting for ${t}: the target workload does not exist`);

// Advancement
export const advanceWeight = (c: string, weight: number) => normal(`Advance ${c} canary weight ${weight}`);
export const advanceIteration = (c: string, i: number, n: number) => normal(`Advance ${c} canary iteration ${i}/${n}`);
export const advancePrimaryWeight = (c: string, weight: number) => normal(`Advance ${c} primary weight ${weight}`);
export const startMirroring = (c: string, copy: string) => normal(`Advance ${c} canary weight 0: mirroring traffic to ${copy}`);
export const pausedHold = (c: string, by: string) => normal(`Halt ${c} advancement: paused by ${by}`);
export const noDataHold = (message: string) => warning(`${message} (onNoData: hold, not counted as a failed check)`);

// Promotion
export const releasingHold = (t: string, revision: string) => normal(`Releasing the hold on ${t}: rolling out revision ${revision}`);
export const routingAllToCanary = () => normal('Routing all traffic to canary');
export const stopMirroringToCanary = () => normal('Stop traffic mirroring and route all traffic to canary');
export const routingAllToPrimary = () => normal('Routing all traffic to primary');
export const promotionCompleted = (t: string) => normal(`Promotion completed! Scaling down ${t}`);
export const promotionCompletedSkipped = (t: string) => normal(`Promotion completed! Canary analysis was skipped for ${t}`);
export const promotionFailed = (t: string, err: string) => warning(`Promotion of ${t} failed, ${t} not ready: ${err}`);

// Rollback
export const rollingBackThreshold = (c: string, n: number) => warning(`Rolling back ${c} failed checks threshold reached ${n}`);
export const rollingBackWebhook = (c: string) => warning(`Rolling back ${c} manual webhook invoked`);
export const rollingBackDeadline = (c: string, err: string) => warning(`Rolling back ${c} progress deadline exceeded ${err}`);
export const rollingBackAborted = (c: string, by: string) => warning(`Rolling back ${c}: aborted by ${by}`);
export const canaryFailed = (c: string) => warning(`Canary failed! Scaling down ${c}`);
export const deadlineExceeded = (c: string, what: string) => warning(`${c} failed: progress deadline exceeded ${what}`);
export const approvalExpired = (c: string, what: string) => warning(`${c} failed: no approval in time ${what}`);

// Imperative actions
export const actionDone = (c: string, verb: string, by: string, what: string) => normal(`${verb} ${c} requested by ${by}: ${what}`);
export const actionIgnored = (c: string, verb: string, by: string, why: string) => warning(`${verb} ${c} requested by ${by} ignored: ${why}`);

// Deletion
export const terminating = (c: string) => normal(`Terminating canary ${c}`);
export const terminated = (c: string) => normal(`Terminated canary ${c}`);
export const holdReleasedOnDeletion = (t: string, revision: string) =>
  normal(`Releasing the hold on ${t}: it rolls out revision ${revision} with its own strategy`);
export const finalizeTimedOut = (c: string) =>
  warning(`Terminated canary ${c} before its objects were all removed: the finalization deadline passed`);

// Alerts (§9)
export const alerts = {
  initialized: (kind: string) => `New ${kind} detected, initialization completed.`,
  newRevision: 'New revision detected, progressing canary analysis.',
  waitingApproval: 'Canary is waiting for approval.',
  waitingPromotionApproval: 'Canary promotion is waiting for approval.',
  waitingTrafficApproval: 'Canary traffic increase is waiting for approval.',
  rollbackWebhook: 'Rolling back manual webhook invoked',
  thresholdReached: (n: number) => `Failed checks threshold reached ${n}`,
  promotionFailed: (err: string) => `Promotion failed, primary not ready: ${err}`,
  completed: 'Canary analysis completed successfully, promotion finished.',
  skipped: 'Canary analysis was skipped, promotion finished.',
  deadline: (err: string) => `Progress deadline exceeded ${err}`,
  failed: (why: string) => `Canary failed: ${why}`,
} as const;
