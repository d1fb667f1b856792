// The pure half of `davy promote|abort|retry|pause|resume`: the `davy.dev/action` annotation and
// its merge patch, and what the stepper will make of the action given the canary's state. The
// predictions follow the stepper's rules (src/stepper/imperative.ts): an action the stepper would
// only record as ignored is refused here, unless --force.

import { ANNOTATION_ACTION } from '../api/keys.js';
import type { Patch } from '../kube/client.js';
import type { State } from '../stepper/index.js';

export const VERBS = ['promote', 'abort', 'retry', 'pause', 'resume'] as const;
export type Verb = (typeof VERBS)[number];
export const isVerb = (name: string): name is Verb => (VERBS as readonly string[]).includes(name);

/** The field manager of the CLI's writes: GitOps tools that own the spec leave this annotation alone. */
export const FIELD_MANAGER = 'davy-cli';

export interface ActionRequestBody {
  action: Verb;
  nonce: string;
  by: string;
  at: string;
}

/** The annotation's value: the fields parseActionAnnotation reads (action, nonce, by), plus when. */
export const actionAnnotation = (body: ActionRequestBody): string =>
  JSON.stringify({ action: body.action, nonce: body.nonce, by: body.by, at: body.at });

/**
 * A merge patch setting the annotation, guarded by the resourceVersion the prediction was made on:
 * if the canary moved since, the API server answers 409 and the command reads it again.
 */
export function actionPatch(annotation: string, resourceVersion: string | undefined): Patch {
  return {
    type: 'merge',
    body: { metadata: { ...(resourceVersion ? { resourceVersion } : {}), annotations: { [ANNOTATION_ACTION]: annotation } } },
  };
}

/** What the stepper will do: `applies` false means it would record the action as ignored. */
export interface Expectation {
  applies: boolean;
  what: string;
}

const does = (what: string): Expectation => ({ applies: true, what });
const ignores = (what: string): Expectation => ({ applies: false, what });

const phaseName = (state: State): string => state.phase || 'new';
const rev = (state: State): string => (state.revision ? `revision ${state.revision}` : 'the revision under analysis');

const promotePending = (state: State, target: string): string =>
  `promotes the revision in ${target}'s template without analysis (ignored if that is the stable revision${state.stableRevision ? ` ${state.stableRevision}` : ''})`;

function promote(state: State, target: string): Expectation {
  switch (state.phase) {
    case 'Progressing':
    case 'WaitingPromotion':
      return does(`skips the rest of the analysis of ${rev(state)} and promotes it: the hold on ${target} is released and it rolls out`);
    case 'Promoting':
    case 'Finalising':
      return ignores(`${rev(state)} is already being promoted`);
    case 'Failed':
      if (state.reason === 'PromotionFailed') return does(`waits again for ${target} to roll out ${rev(state)}`);
      return does(promotePending(state, target));
    case 'Waiting':
    case 'Initialized':
    case 'Succeeded':
      return does(promotePending(state, target));
    default:
      return ignores(`nothing to promote while ${phaseName(state)}`);
  }
}

function abort(state: State, target: string): Expectation {
  switch (state.phase) {
    case 'Waiting':
    case 'Progressing':
    case 'WaitingPromotion':
      return does(`rolls back ${rev(state)} now: all traffic to the stable pods of ${target}, the canary copy scaled to zero; the hold stays until a new revision, a revert or a retry`);
    case 'Promoting':
      return ignores(`the hold on ${target} is released and it rolls out ${rev(state)}: revert its template to roll back`);
    default:
      return ignores(`no analysis to abort while ${phaseName(state)}`);
  }
}

function retry(state: State, target: string): Expectation {
  if (state.phase !== 'Failed') return ignores(`retry applies to a Failed canary, this one is ${phaseName(state)}`);
  if (state.reason === 'PromotionFailed') return does(`waits again for ${target} to roll out ${rev(state)}`);
  if (state.reason === 'BootstrapDeadline') return ignores('initialization is retried on every step');
  return does(`re-runs the analysis of ${rev(state)}, the revision in ${target}'s template, with no change to the template (ignored if the template went back to the stable revision)`);
}

function pause(state: State): Expectation {
  if (state.paused) return ignores(`already paused by ${state.paused.by ?? 'unknown'}`);
  if (state.phase !== 'Progressing' && state.phase !== 'WaitingPromotion' && state.phase !== 'Waiting') {
    return does(`holds the weights and iterations of the next analysis until resume (the canary is ${phaseName(state)} now)`);
  }
  return does('holds the weight and iterations until resume; the checks go on, and failed checks still roll back');
}

const resume = (state: State): Expectation => (state.paused ? does('lets the weight and iterations advance again') : ignores('not paused'));

/** The stepper's verdict on `verb` for a canary in `state`; undefined when no state can be read. */
export function expectation(verb: Verb, state: State | undefined, target: string): Expectation | undefined {
  if (state === undefined || state.phase === '') return undefined;
  switch (verb) {
    case 'promote':
      return promote(state, target);
    case 'abort':
      return abort(state, target);
    case 'retry':
      return retry(state, target);
    case 'pause':
      return pause(state);
    case 'resume':
      return resume(state);
  }
}
