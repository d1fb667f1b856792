// The CloudEvents sink (`davy step --cloudevents-sink URL`, issue 14): each outbox entry the
// stepper queued (src/stepper/cloudevents.ts) is POSTed as one CloudEvent 1.0 in the HTTP
// binding's structured content mode: the body is the JSON event format, attributes and data in one
// document (`Content-Type: application/cloudevents+json`), so a receiver can store or forward it as
// it came, without rebuilding it from headers.
//
// Delivery is the outbox's: at least once, retried on every pass until the sink answers 2xx. The
// id is derived from the entry (the Canary's uid, the entry's id, the step's time), so a retried
// post carries the id of the first and the receiver can drop it (CloudEvents: `source` + `id`
// identify an event). After a failed post the canary's later events wait for the next pass, so
// the sink hears them in order and a sink that is down costs one timeout per canary per pass. A
// failure is logged and counted (davy_stepper_alerts_total{provider="cloudevents"}); it never stops
// a step. The sink passes the stepper's --allowed-hosts like every other outbound address.

import { API_VERSION } from '../api/keys.js';
import type { Canary } from '../api/types.js';
import type { NotifyResult } from '../notifiers/notifier.js';
import { postJson } from '../notifiers/post.js';
import type { Action, CheckValue, CloudEventEntry, Delivery } from '../stepper/index.js';
import { countPost } from './alerts.js';
import type { ApplyContext } from './types.js';

type CloudEventAction = Extract<Action, { kind: 'cloudEvent' }>;

/** The reverse-DNS prefix of every type Davy sends: `dev.davy.canary.promoted`, ... */
export const TYPE_PREFIX = 'dev.davy.canary.';
export const SPEC_VERSION = '1.0';
/** The structured content mode's media type for the JSON event format (HTTP binding, 3.2.1). */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

export interface CheckData {
  kind: 'metric' | 'hook';
  name: string;
  hookType?: string;
  value?: number;
  /** As a metric's thresholdRange: the bounds the value was judged against. */
  thresholdRange?: { min?: number; max?: number };
  verdict: string;
}

/** `data`: the step's outcome, in Flagger's words where Flagger has them. */
export interface CanaryEventData {
  name: string;
  namespace: string;
  phase: string;
  previousPhase?: string;
  reason?: string;
  message?: string;
  revision?: string;
  stableRevision?: string;
  /** The canary's share of traffic in percent; primaryWeight the stable pods'. */
  canaryWeight: number;
  primaryWeight: number;
  mirror: boolean;
  iterations: number;
  failedChecks: number;
  checks: CheckData[];
}

export interface CloudEvent {
  specversion: typeof SPEC_VERSION;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: CanaryEventData;
}

/** The Canary's API path: where the event happened, a URI-reference. */
export const sourceOf = (namespace: string, name: string): string =>
  `/apis/${API_VERSION}/namespaces/${namespace}/canaries/${name}`;

/**
 * One CloudEvent for one entry. Pure, and the same for the same entry: a retry posts an equal
 * event. The uid keeps a recreated Canary (whose counters start over) from reusing ids.
 */
export function cloudEventOf(canary: Pick<Canary, 'metadata'>, entry: CloudEventEntry): CloudEvent {
  const name = canary.metadata.name ?? '';
  const namespace = canary.metadata.namespace ?? '';
  const uid = canary.metadata.uid;
  return {
    specversion: SPEC_VERSION,
    id: `${uid ? `${uid}.` : ''}${entry.id}.${Date.parse(entry.at)}`,
    source: sourceOf(namespace, name),
    type: `${TYPE_PREFIX}${entry.occurrence}`,
    subject: `${namespace}/${name}`,
    time: entry.at,
    datacontenttype: 'application/json',
    data: {
      name,
      namespace,
      phase: entry.phase,
      ...(entry.from ? { previousPhase: entry.from } : {}),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      ...(entry.message === undefined ? {} : { message: entry.message }),
      ...(entry.revision === undefined ? {} : { revision: entry.revision }),
      ...(entry.stableRevision === undefined ? {} : { stableRevision: entry.stableRevision }),
      canaryWeight: entry.routes.canary,
      primaryWeight: entry.routes.primary,
      mirror: entry.routes.mirror,
      iterations: entry.iterations,
      failedChecks: entry.failedChecks,
      checks: entry.checks.map(checkData),
    },
  };
}

function checkData(c: CheckValue): CheckData {
  const range = { ...(c.min === undefined ? {} : { min: c.min }), ...(c.max === undefined ? {} : { max: c.max }) };
  return {
    kind: c.kind,
    name: c.name,
    ...(c.hookType === undefined ? {} : { hookType: c.hookType }),
    ...(c.value === undefined ? {} : { value: c.value }),
    ...(Object.keys(range).length > 0 ? { thresholdRange: range } : {}),
    verdict: c.verdict,
  };
}

/** One structured-mode POST; a 2xx answer is delivery. */
export function postCloudEvent(sink: string, event: CloudEvent, signal?: AbortSignal): Promise<NotifyResult> {
  return postJson(sink, event, { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, ...(signal ? { signal } : {}) });
}

/** Delivers one entry, or leaves it in the outbox for the next pass (undefined). */
export async function deliverCloudEvent(ctx: ApplyContext, action: CloudEventAction): Promise<Delivery | undefined> {
  const sink = ctx.deps.cloudEventsSink;
  // Queued while the stepper had a sink; it has none now, so there is nowhere to send it.
  if (!sink) return { id: action.id, result: { ok: true, message: 'no CloudEvents sink configured' } };
  if (ctx.cloudEventsHeld) return undefined;
  const event = cloudEventOf(ctx.canary, action.event);
  const refused = await ctx.deps.addressGuard?.(sink);
  const outcome = refused === undefined
    ? await postCloudEvent(sink, event) // postJson never throws: every outcome is a value
    : { ok: false as const, message: `not posted: ${refused}` };
  countPost(ctx.deps, 'cloudevents', outcome.ok ? 'sent' : 'failed');
  if (outcome.ok) {
    ctx.scope.log.debug('CloudEvent posted', { id: event.id, type: event.type });
    return { id: action.id, result: { ok: true } };
  }
  ctx.cloudEventsHeld = true;
  ctx.scope.log.warn('CloudEvent not delivered; retried next pass', { id: event.id, type: event.type, reason: outcome.message });
  return undefined;
}
