// The stepper's public surface: the pure core the runner, `davy simulate` and `davy status` use.
export { step, plan, nextStepAt, type StepResult } from './step.js';
export { intent, targets, type Action, type ActionKind, type TargetAction } from './actions.js';
export type { Checks, HookCheck, MetricCheck, GateHookType } from './checks.js';
export * from './observations.js';
export { parseState, serializeState, type ParsedState } from './state-codec.js';
export { projectStatus } from './status.js';
export {
  freshState,
  isResting,
  RESTING_PHASES,
  isAllowedTransition,
  ALLOWED_TRANSITIONS,
  STATE_VERSION,
  UNSENT_EVENTS_LIMIT,
  type State,
  type UnsentEvent,
  type Phase,
  type Routes,
  type Reason,
  type CheckRecord,
  type TransitionRecord,
  type WaitKind,
  type CloudEventEntry,
  type CheckValue,
  type Occurrence,
  OCCURRENCES,
} from './state.js';
export { occurrenceOf } from './cloudevents.js';
export { admits } from './tick.js';
export type { StepOptions } from './options.js';
