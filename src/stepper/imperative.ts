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

import * as ev from './events.js';
import { considerRun, stableSubject, startRun } from './lifecycle.js';
import { observedSubject, sameSubject } from './observations.js';
import { rollback, startPromotion } from './promotion.js';
import type { ImperativeVerb } from './state.js';
import { clearWait, emit, transition, type Tick } from './tick.js';

type Verdict = { ok: true; what: string; then: () => void; endsTick: boolean } | { ok: false; why: string };

const ok = (what: string, then: () => void, endsTick = true): Verdict => ({ ok: true, what, then, endsTick });
const no = (why: string): Verdict => ({ ok: false, why });

/** Handles a new nonce; true when its consequences end the tick. */
export function handleAction(t: Tick): boolean {
  const request = t.ctx.obs.action;
  if (!request || request.nonce === t.state.lastAction?.nonce) return false;
  const by = request.by ?? 'unknown';
  const handler = HANDLERS[request.action as ImperativeVerb] as ((t: Tick, by: string) => Verdict) | undefined;
  const verdict = handler ? handler(t, by) : no(`unknown action "${request.action}" (promote, abort, retry, pause or resume)`);
  const verb = request.action.charAt(0).toUpperCase() + request.action.slice(1);
  const message = verdict.ok ? verdict.what : verdict.why;
  t.state.lastAction = { nonce: request.nonce, action: request.action, by, at: t.ctx.at, outcome: verdict.ok ? 'done' : 'ignored', message };
  if (!verdict.ok) {
    emit(t, ev.actionIgnored(t.ctx.names.c, verb, by, verdict.why));
    return false;
  }
  emit(t, ev.actionDone(t.ctx.names.c, verb, by, verdict.what));
  verdict.then();
  return verdict.endsTick;
}

const HANDLERS: Record<ImperativeVerb, (t: Tick, by: string) => Verdict> = { promote, abort, retry, pause, resume };

function promote(t: Tick): Verdict {
  const { state } = t;
  switch (state.phase) {
    case 'Progressing':
    case 'WaitingPromotion':
      return ok(`skipping the rest of the analysis of revision ${state.revision ?? ''}`, () => startPromotion(t, 'PromoteAction'));
    case 'Promoting':
    case 'Finalising':
      return no(`revision ${state.revision ?? ''} is already being promoted`);
    case 'Waiting':
    case 'Initialized':
    case 'Succeeded':
    case 'Failed': {
      if (state.phase === 'Failed' && state.reason === 'PromotionFailed') return retryPromotion(t);
      const subject = observedSubject(t.ctx.obs);
      if (subject === undefined || sameSubject(subject, stableSubject(state))) return no(`${t.ctx.names.t} runs its stable revision: nothing to promote`);
      return ok(`promoting revision ${subject.revision} without analysis`, () => startRun(t, subject, 'PromoteAction', true));
    }
    default:
      return no(`nothing to promote while ${state.phase || 'new'}`);
  }
}

function abort(t: Tick, by: string): Verdict {
  const { state } = t;
  const { names } = t.ctx;
  switch (state.phase) {
    case 'Waiting':
    case 'Progressing':
    case 'WaitingPromotion':
      return ok(`rolling back revision ${state.revision ?? ''}`, () => {
        emit(t, ev.rollingBackAborted(names.c, by));
        rollback(t, { reason: 'Aborted', message: `aborted by ${by}` });
      });
    case 'Promoting':
      return no(`the hold on ${names.t} is released and it rolls out revision ${state.revision ?? ''}: revert its template to roll back`);
    default:
      return no(`no analysis to abort while ${state.phase || 'new'}`);
  }
}

function retry(t: Tick): Verdict {
  const { state } = t;
  if (state.phase !== 'Failed') return no(`retry applies to a Failed canary, this one is ${state.phase || 'new'}`);
  if (state.reason === 'PromotionFailed') return retryPromotion(t);
  if (state.reason === 'BootstrapDeadline') return no('initialization is retried on every step');
  const subject = observedSubject(t.ctx.obs);
  if (subject === undefined || sameSubject(subject, stableSubject(state))) return no(`${t.ctx.names.t} runs its stable revision: nothing to retry`);
  return ok(`re-running the analysis of revision ${subject.revision}`, () => considerRun(t, subject, 'Retry'));
}

function retryPromotion(t: Tick): Verdict {
  return ok(`waiting again for ${t.ctx.names.t} to roll out revision ${t.state.revision ?? ''}`, () => {
    t.state.rolledOut = false;
    transition(t, 'Promoting', 'Retry');
  });
}

function pause(t: Tick, by: string): Verdict {
  if (t.state.paused) return no(`already paused by ${t.state.paused.by ?? 'unknown'}`);
  return ok(
    'weights and iterations hold until resume; the analysis goes on',
    () => {
      t.state.paused = { by, at: t.ctx.at };
    },
    false,
  );
}

function resume(t: Tick): Verdict {
  if (!t.state.paused) return no('not paused');
  return ok(
    'weights and iterations advance again',
    () => {
      delete t.state.paused;
      clearWait(t, 'paused');
    },
    false,
  );
}
