// The pure half of `davy promote|abort|retry|pause|resume`: the `davy.dev/action` annotation and
// its merge patch, and what the stepper will make of the action, previewed by step() itself on the
// canary's state and what the CLI read of the cluster: an action the stepper would only record as
// ignored is refused, unless --force.

import { ANNOTATION_ACTION, ANNOTATION_STATE } from '../api/keys.js';
import type { Canary, CanarySpec } from '../api/types.js';
import type { Patch } from '../kube/client.js';
import { targetObservation } from '../runner/observe.js';
import { parseState, step, type Observations, type State, type StepResult } from '../stepper/index.js';
import type { TrackedConfigs } from '../workloads/config-tracking.js';
import type { Workload } from '../workloads/types.js';

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
    body: {
      metadata: { ...(resourceVersion ? { resourceVersion } : {}), annotations: { [ANNOTATION_ACTION]: annotation } },
    },
  };
}

/** What the stepper will do: `applies` false means it would record the action as ignored. */
export interface Expectation {
  applies: boolean;
  what: string;
}

/** What the CLI read of the cluster besides the Canary: its target and the configs its template references. */
export interface Surroundings {
  target?: Workload;
  configs: TrackedConfigs;
}

/** The nonce of a previewed action: never written, so it cannot collide with a real one. */
const PREVIEW_NONCE = 'davy-cli-preview';

/**
 * The stepper's verdict on `verb`, previewed by running step() with the action on what the CLI
 * read: the stepper itself decides, so the preview cannot drift from it. Undefined when there is no
 * state to step from (the stepper decides on its first step) or the stepper could not step the spec.
 */
export function preview(
  verb: Verb,
  by: string,
  canary: Canary,
  around: Surroundings,
  now: Date,
): Expectation | undefined {
  const parsed = parseState(canary.metadata.annotations?.[ANNOTATION_STATE]);
  if (parsed.kind !== 'ok') return undefined;
  return previewOn(verb, by, parsed.state, canary.spec, observationsOf(canary, around), now);
}

/** The same on observations already gathered (the simulator's, in tests). */
export function previewOn(
  verb: Verb,
  by: string,
  state: State,
  spec: CanarySpec,
  observations: Observations,
  now: Date,
): Expectation | undefined {
  if (state.phase === '') return undefined;
  let out: StepResult;
  try {
    out = step(state, spec, { ...observations, action: { action: verb, nonce: PREVIEW_NONCE, by } }, now);
  } catch {
    return undefined;
  }
  const recorded = out.state.lastAction;
  if (recorded?.nonce !== PREVIEW_NONCE) return { applies: false, what: notTakenIn(spec, observations) };
  return { applies: recorded.outcome === 'done', what: recorded.message ?? '' };
}

function notTakenIn(spec: CanarySpec, observations: Observations): string {
  if (observations.canary.deletionTimestamp !== undefined) return 'the Canary is being deleted';
  if (spec.suspend === true) return 'spec.suspend is true: the stepper takes no action until it is false';
  return 'the stepper takes no action now';
}

function observationsOf(canary: Canary, around: Surroundings): Observations {
  const { name, namespace, deletionTimestamp, finalizers } = canary.metadata;
  return {
    canary: { name: name ?? '', namespace: namespace ?? '', finalizers: [...(finalizers ?? [])], ...(deletionTimestamp ? { deletionTimestamp } : {}) },
    target: around.target ? targetObservation(around.target, canary) : { exists: false, held: false, labeled: false },
    copy: { exists: false },
    trackedConfigs: around.configs,
  };
}
