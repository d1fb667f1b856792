// Events: core/v1 Events on the Canary (reason Synced, source component davy), each also posted to
// the canary's `event` webhooks with Flagger's metadata and logged. Step events come only from a
// step whose state was written, so a replayed or re-applied step emits none. A write that fails
// for a passing reason (a connection error, a timeout, 429 or 5xx) is retried under the same name
// (issue 11: 3 of 4 events were lost at 25% injected faults): a retry whose first attempt was
// stored after all meets AlreadyExists, which means done, so an event is neither lost to a passing
// fault nor written twice. An Event whose every attempt failed so is returned to the runner, which
// carries it in the state (bounded) to the next pass, which writes it under the same name and time
// (resendUnsent). Problems the runner meets (an invalid spec, an object Davy may not touch) are reported
// once per problem: a deterministic Event name and a per-process record keep them from repeating.
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, type EffectiveWebhook } from '../api/defaults.js';
import { API_VERSION } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import { ApiError, ConflictError, type KubeObject } from '../kube/client.js';
import { UNSENT_EVENTS_LIMIT, type Action, type State, type UnsentEvent } from '../stepper/index.js';
import { describeError } from '../webhooks/http.js';
import { payloadChecksum } from '../webhooks/payload.js';
import type { CanaryScope, RunnerDeps } from './types.js';

type EventAction = Extract<Action, { kind: 'event' }>;

export const EVENT_REASON = 'Synced';
export const EVENT_COMPONENT = 'davy';

export interface CanaryEventInput {
  type: 'Normal' | 'Warning';
  message: string;
}

/** A core/v1 Event about the Canary, as `kubectl describe canary` and `kubectl get events` show it. */
export function eventObject(canary: Canary, event: CanaryEventInput, name: string, now: Date): KubeObject {
  const { namespace, uid, resourceVersion } = canary.metadata;
  const at = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: namespace ?? '' },
    involvedObject: {
      apiVersion: API_VERSION,
      kind: 'Canary',
      name: canary.metadata.name ?? '',
      namespace: namespace ?? '',
      ...(uid ? { uid } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    reason: EVENT_REASON,
    message: event.message,
    type: event.type,
    source: { component: EVENT_COMPONENT },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

/** Event names as Kubernetes makes them: `<object>.<hex>`, unique per call. */
const eventName = (canary: Canary, now: Date): string =>
  `${canary.metadata.name ?? 'canary'}.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}${randomUUID().slice(0, 8)}`;

/** Attempts at writing one Event, and the wait before retry n (100 ms, 200 ms, ...). */
const EVENT_WRITE_ATTEMPTS = 4;
const eventRetryDelayMs = (retry: number): number => 100 * 2 ** (retry - 1);

/**
 * The Event is stored already: only AlreadyExists says so. Another 409 on a create (a Conflict, as
 * a proxy or an etcd retry may answer) stored nothing, and another attempt may store it.
 */
const alreadyStored = (error: unknown): boolean => error instanceof ConflictError && error.reason === 'AlreadyExists';

/** A failure that another attempt may not meet: anything but a refusal the API server means. */
const passing = (error: unknown): boolean => {
  if (!(error instanceof ApiError)) return true;
  return error.status === 429 || error.status >= 500 || (error instanceof ConflictError && !alreadyStored(error));
};

/**
 * Writes an Event, retrying passing failures under its one name. 'stored' also when an earlier
 * attempt (or pass) stored it; 'unsent' when every attempt failed for a passing reason (worth
 * another pass); 'refused' when the API server refused it (logged, not carried).
 */
async function createEvent(scope: Pick<CanaryScope, 'view' | 'log'>, event: KubeObject, message: string, attempts = EVENT_WRITE_ATTEMPTS): Promise<'stored' | 'unsent' | 'refused'> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await scope.view.create(event);
      return 'stored';
    } catch (error) {
      if (alreadyStored(error)) return 'stored'; // an earlier attempt (or pass) stored it; its answer was lost
      if (attempt >= attempts || !passing(error)) {
        scope.log.warn('cannot record an event', { error, message, attempts: attempt });
        return passing(error) ? 'unsent' : 'refused';
      }
      await new Promise((resolve) => setTimeout(resolve, eventRetryDelayMs(attempt)));
    }
  }
}

/**
 * One step event: the Event, the `event` webhooks, a log line. Failures are logged and never stop
 * the step; an Event that could not be written for a passing reason is returned, for the state.
 */
export async function recordEvent(
  scope: CanaryScope, deps: Pick<RunnerDeps, 'webhooks' | 'eventWebhook'>, event: EventAction, state: State, now: Date,
): Promise<UnsentEvent | undefined> {
  const { canary, log } = scope;
  log.log(event.type === 'Warning' ? 'warn' : 'info', event.message, { event: event.reason, phase: state.phase });
  const name = eventName(canary, now);
  const created = createEvent(scope, eventObject(canary, event, name, now), event.message);
  const own = scope.analysis.webhooks.filter((h) => h.type === 'event');
  // A canary's own event webhooks replace the global one, as in Flagger.
  const hooks = own.length > 0 || !deps.eventWebhook ? own : [globalEventHook(deps.eventWebhook)];
  const checksum = payloadChecksum(state.revision ?? '', state.trackedConfigs);
  const calls = hooks.map(async (hook) => {
    const result = await deps.webhooks
      .call({
        hook,
        canary: { name: canary.metadata.name ?? '', namespace: canary.metadata.namespace ?? '' },
        phase: state.phase,
        checksum,
        event: { message: event.message, type: event.type, timestamp: now.getTime() },
      })
      .catch((error: unknown) => ({ ok: false as const, message: describeError(error) }));
    if (!result.ok) log.warn('event webhook failed', { webhook: hook.name, reason: result.message });
  });
  const [outcome] = await Promise.all([created, ...calls]);
  return outcome === 'unsent' ? { name, type: event.type, message: event.message, at: now.toISOString() } : undefined;
}

/** `unsent` added to the state's carried Events, the oldest dropped (and logged) past the bound. */
export function carryUnsent(scope: Pick<CanaryScope, 'log'>, state: State, unsent: readonly UnsentEvent[]): State {
  const all = [...(state.unsentEvents ?? []), ...unsent];
  const dropped = all.slice(0, Math.max(0, all.length - UNSENT_EVENTS_LIMIT));
  for (const event of dropped) scope.log.warn('an event is dropped: too many unsent events', { message: event.message, at: event.at });
  return { ...state, unsentEvents: all.slice(dropped.length) };
}

/**
 * The Events a past pass could not write, written now under their names and times (one attempt
 * each: the pass is not held up by an API that is still failing). The state comes back without
 * those stored, or refused for good; an Event stored by an attempt whose answer was lost meets
 * AlreadyExists, so none is written twice.
 */
export async function resendUnsent(scope: Pick<CanaryScope, 'canary' | 'view' | 'log'>, state: State): Promise<State> {
  const carried = state.unsentEvents ?? [];
  if (carried.length === 0) return state;
  const left: UnsentEvent[] = [];
  for (const event of carried) {
    const object = eventObject(scope.canary, event, event.name, new Date(event.at));
    const outcome = await createEvent(scope, object, event.message, 1);
    if (outcome === 'unsent') left.push(event);
  }
  const { unsentEvents: _carried, ...rest } = state;
  return left.length > 0 ? { ...rest, unsentEvents: left } : rest;
}

/** Flagger's global event webhook: named `events`, the default timeout, no retries, no metadata. */
const globalEventHook = (url: string): EffectiveWebhook => ({
  name: 'events',
  type: 'event',
  url,
  timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS,
  retries: 0,
  disableTLS: false,
  muteAlert: false,
  metadata: {},
});

/** Where a problem is reported: a Canary, with or without a scope (an invalid spec has none). */
export type ProblemSite = Pick<CanaryScope, 'canary' | 'log' | 'view'>;

/**
 * A Warning Event for a problem that keeps a canary from being stepped or converged, once per
 * distinct problem: the name is derived from the Canary and the message (a second create is
 * refused, and this process remembers it), and Kubernetes' event TTL later allows a reminder.
 */
export async function reportProblem(at: ProblemSite, deps: Pick<RunnerDeps, 'reported'>, message: string, now: Date): Promise<void> {
  const { canary, log, view } = at;
  const key = `${canary.metadata.uid ?? ''}|${canary.metadata.namespace ?? ''}/${canary.metadata.name ?? ''}|${message}`;
  if (deps.reported?.has(key)) return;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const name = `${canary.metadata.name ?? 'canary'}.davy-${digest}`;
  try {
    await view.create(eventObject(canary, { type: 'Warning', message }, name, now));
    deps.reported?.add(key);
  } catch (error) {
    if (alreadyStored(error)) deps.reported?.add(key);
    else log.warn('cannot record an event', { error, message });
  }
}
