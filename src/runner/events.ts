// Events: core/v1 Events on the Canary (reason Synced, source component davy), each also posted to
// the canary's `event` webhooks with Flagger's metadata and logged. Step events are at most once:
// they come only from a step whose state was written, so a replayed or re-applied step emits
// none. Problems the runner meets (an invalid spec, an object Davy may not touch) are reported
// once per problem: a deterministic Event name and a per-process record keep them from repeating.
import { createHash, randomUUID } from 'node:crypto';
import { API_VERSION } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import { ConflictError, type KubeObject } from '../kube/client.js';
import type { Action, State } from '../stepper/index.js';
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

/**
 * One step event: the Event, the `event` webhooks, a log line. Failures are logged and never stop
 * the step (an event is at most once: it is not retried).
 */
export async function recordEvent(scope: CanaryScope, deps: Pick<RunnerDeps, 'webhooks'>, event: EventAction, state: State, now: Date): Promise<void> {
  const { canary, log } = scope;
  log.log(event.type === 'Warning' ? 'warn' : 'info', event.message, { event: event.reason, phase: state.phase });
  const created = scope.view.create(eventObject(canary, event, eventName(canary, now), now)).then(
    () => undefined,
    (error: unknown) => log.warn('cannot record an event', { error, message: event.message }),
  );
  const hooks = scope.analysis.webhooks.filter((h) => h.type === 'event');
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
  await Promise.all([created, ...calls]);
}

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
    if (error instanceof ConflictError) deps.reported?.add(key);
    else log.warn('cannot record an event', { error, message });
  }
}
