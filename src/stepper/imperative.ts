// `davy promote|abort|retry|pause|resume`: the `davy.dev/action` annotation with a nonce. Each
// nonce is handled once, whatever the outcome, and recorded with who asked and when; an action that
// does not apply is recorded as ignored, with the reason in a Warning event.
//
// Decisions: `promote` skips what is left of a run (gates included: a person decided) and, with
// no run, promotes a pending revision without analysis; `abort` rolls back now, but cannot undo a
// promotion whose hold is released (revert the template instead); `retry` re-runs a Failed
// revision through the confirm-rollout gate, or waits again for a failed promotion's rollout;
// `pause` holds the weight and iterations while the analysis goes on (failed checks still roll
// back, so a paused canary is never left unwatched), until `resume` or humanWaitTimeoutMs.

import * as events from './events.js';
import { considerRun, stableSubject, startRun } from './lifecycle.js';
import { observedSubject, sameSubject } from './observations.js';
import { rollback, startPromotion } from './promotion.js';
import type { ImperativeVerb } from './state.js';
import { clearWait, emit, transition, type Tick } from './tick.js';

type Verdict = { ok: true; what: string; then: () => void; endsTick: boolean } | { ok: false; why: string };

const ok = (what: string, then: () => void, endsTick = true): Verdict => ({ ok: true, what, then, endsTick });
const no = (why: string): Verdict => ({ ok: false, why });

/** Handles a new nonce; true when its consequences end the tick. */
export function handleAction(tick: Tick): boolean {
  const request = tick.ctx.obs.action;
  if (!request || request.nonce === tick.state.lastAction?.nonce) return false;
  const by = request.by ?? 'unknown';
  const handler = HANDLERS[request.action as ImperativeVerb] as ((tick: Tick, by: string) => Verdict) | undefined;
  const verdict = handler ? handler(tick, by) : no(`unknown action "${request.action}" (promote, abort, retry, pause or resume)`);
  const verb = request.action.charAt(0).toUpperCase() + request.action.slice(1);
  const message = verdict.ok ? verdict.what : verdict.why;
  tick.state.lastAction = { nonce: request.nonce, action: request.action, by, at: tick.ctx.at, outcome: verdict.ok ? 'done' : 'ignored', message };
  if (!verdict.ok) {
    emit(tick, events.actionIgnored(tick.ctx.names.canary, verb, by, verdict.why));
    return false;
  }
  emit(tick, events.actionDone(tick.ctx.names.canary, verb, by, verdict.what));
  verdict.then();
  return verdict.endsTick;
}

const HANDLERS: Record<ImperativeVerb, (tick: Tick, by: string) => Verdict> = { promote, abort, retry, pause, resume };

function promote(tick: Tick): Verdict {
  const { state } = tick;
  switch (state.phase) {
    case 'Progressing':
    case 'WaitingPromotion':
      return ok(`skipping the rest of the analysis of revision ${state.revision ?? ''}`, () => startPromotion(tick, 'PromoteAction'));
    case 'Promoting':
    case 'Finalising':
      return no(`revision ${state.revision ?? ''} is already being promoted`);
    case 'Waiting':
    case 'Initialized':
    case 'Succeeded':
    case 'Failed': {
      if (state.phase === 'Failed' && state.reason === 'PromotionFailed') return retryPromotion(tick);
      const subject = observedSubject(tick.ctx.obs);
      if (subject === undefined || sameSubject(subject, stableSubject(state))) return no(`${tick.ctx.names.target} runs its stable revision: nothing to promote`);
      return ok(`promoting revision ${subject.revision} without analysis`, () => startRun(tick, subject, 'PromoteAction', true));
    }
    default:
      return no(`nothing to promote while ${state.phase || 'new'}`);
  }
}

function abort(tick: Tick, by: string): Verdict {
  const { state } = tick;
  const { names } = tick.ctx;
  switch (state.phase) {
    case 'Waiting':
    case 'Progressing':
    case 'WaitingPromotion':
      return ok(`rolling back revision ${state.revision ?? ''}`, () => {
        emit(tick, events.rollingBackAborted(names.canary, by));
        rollback(tick, { reason: 'Aborted', message: `aborted by ${by}` });
      });
    case 'Promoting':
      return no(`the hold on ${names.target} is released and it rolls out revision ${state.revision ?? ''}: revert its template to roll back`);
    default:
      return no(`no analysis to abort while ${state.phase || 'new'}`);
  }
}

function retry(tick: Tick): Verdict {
  const { state } = tick;
  if (state.phase !== 'Failed') return no(`retry applies to a Failed canary, this one is ${state.phase || 'new'}`);
  if (state.reason === 'PromotionFailed') return retryPromotion(tick);
  if (state.reason === 'BootstrapDeadline') return no('initialization is retried on every step');
  const subject = observedSubject(tick.ctx.obs);
  if (subject === undefined || sameSubject(subject, stableSubject(state))) return no(`${tick.ctx.names.target} runs its stable revision: nothing to retry`);
  return ok(`re-running the analysis of revision ${subject.revision}`, () => considerRun(tick, subject, 'Retry'));
}

function retryPromotion(tick: Tick): Verdict {
  return ok(`waiting again for ${tick.ctx.names.target} to roll out revision ${tick.state.revision ?? ''}`, () => {
    tick.state.rolledOut = false;
    transition(tick, 'Promoting', 'Retry');
  });
}

function pause(tick: Tick, by: string): Verdict {
  if (tick.state.paused) return no(`already paused by ${tick.state.paused.by ?? 'unknown'}`);
  return ok(
    'weights and iterations hold until resume; the analysis goes on',
    () => {
      tick.state.paused = { by, at: tick.ctx.at };
    },
    false,
  );
}

function resume(tick: Tick): Verdict {
  if (!tick.state.paused) return no('not paused');
  return ok(
    'weights and iterations advance again',
    () => {
      delete tick.state.paused;
      clearWait(tick, 'paused');
    },
    false,
  );
}
