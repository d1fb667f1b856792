// The state annotation's codec: serializing, and parsing and decoding it from untrusted JSON. The
// core fields must be right or the whole state is refused (a fresh state is safer than a
// half-understood one); history, records and other optional fields that do not fit are dropped
// one by one, never guessed. state.ts is the leaf this builds on; it imports nothing back.

import { ALERT_SEVERITIES, type AlertSeverity } from '../api/types.js';
import {
  OCCURRENCES,
  PHASES,
  type CheckValue,
  type CloudEventEntry,
  type Occurrence,
  STATE_VERSION,
  type ActionRecord,
  type CheckRecord,
  type HoldLeak,
  type OutboxEntry,
  type Phase,
  type Reason,
  type Routes,
  type SessionCookies,
  type State,
  type TransitionRecord,
  type UnsentEvent,
  UNSENT_EVENTS_LIMIT,
  type Wait,
  type WaitKind,
  WAIT_KINDS,
  freshState,
} from './state.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isPhase = (v: unknown): v is Phase => typeof v === 'string' && (PHASES as readonly string[]).includes(v);
const percent = (v: unknown): number | undefined => {
  const n = finite(v);
  return n !== undefined && n >= 0 && n <= 100 ? n : undefined;
};

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== 'string') return undefined;
    out[key] = value;
  }
  return out;
}

function routes(v: unknown): Routes | undefined {
  if (!isObject(v)) return undefined;
  const primary = percent(v.primary);
  const canary = percent(v.canary);
  if (primary === undefined || canary === undefined || typeof v.mirror !== 'boolean') return undefined;
  return { primary, canary, mirror: v.mirror };
}

/** Cookies as `name=value`; anything else is dropped (the next step makes new ones). */
function cookies(v: unknown): SessionCookies | undefined {
  if (!isObject(v)) return undefined;
  const out: SessionCookies = {};
  for (const key of ['canary', 'primary', 'expired'] as const) {
    const cookie = str(v[key]);
    if (cookie !== undefined && /^[^=;\s]+=[^=;\s]+$/.test(cookie)) out[key] = cookie;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function wait(v: unknown): Wait | undefined {
  if (!isObject(v)) return undefined;
  const kind = v.kind;
  const since = str(v.since);
  const deadline = str(v.deadline);
  const message = str(v.message);
  if (!WAIT_KINDS.includes(kind as WaitKind)) return undefined;
  if (since === undefined || deadline === undefined || message === undefined) return undefined;
  return { kind: kind as WaitKind, since, deadline, message };
}

function check(v: unknown): CheckRecord | undefined {
  if (!isObject(v)) return undefined;
  const at = str(v.at);
  const name = str(v.name);
  const verdict = v.verdict;
  if (at === undefined || name === undefined || (v.kind !== 'metric' && v.kind !== 'hook')) return undefined;
  if (verdict !== 'ok' && verdict !== 'failed' && verdict !== 'noData' && verdict !== 'error') return undefined;
  const record: CheckRecord = { at, kind: v.kind, name, verdict };
  for (const key of ['hookType', 'query', 'message', 'revision'] as const) {
    const text = str(v[key]);
    if (text !== undefined) record[key] = text;
  }
  for (const key of ['value', 'min', 'max'] as const) {
    const n = finite(v[key]);
    if (n !== undefined) record[key] = n;
  }
  return record;
}

function transition(v: unknown): TransitionRecord | undefined {
  if (!isObject(v)) return undefined;
  const at = str(v.at);
  const reason = str(v.reason);
  if (at === undefined || reason === undefined || !isPhase(v.from) || !isPhase(v.to)) return undefined;
  const message = str(v.message);
  return { at, from: v.from, to: v.to, reason: reason as Reason, ...(message === undefined ? {} : { message }) };
}

function actionRecord(v: unknown): ActionRecord | undefined {
  if (!isObject(v)) return undefined;
  const [nonce, action, at, message] = [str(v.nonce), str(v.action), str(v.at), str(v.message)];
  if (nonce === undefined || action === undefined || at === undefined || message === undefined) return undefined;
  if (v.outcome !== 'done' && v.outcome !== 'ignored') return undefined;
  const by = str(v.by);
  return { nonce, action, at, outcome: v.outcome, message, ...(by === undefined ? {} : { by }) };
}

function outboxEntry(v: unknown): OutboxEntry | undefined {
  if (!isObject(v)) return undefined;
  const id = str(v.id);
  if (id === undefined || !isPhase(v.phase)) return undefined;
  const revision = str(v.revision);
  if (v.kind === 'hook') {
    const hook = str(v.hook);
    const checksum = str(v.checksum);
    if (hook === undefined || revision === undefined || checksum === undefined || v.type !== 'post-rollout') return undefined;
    return { id, kind: 'hook', hook, type: 'post-rollout', phase: v.phase, revision, checksum };
  }
  if (v.kind === 'cloudEvent') return cloudEventEntry(v, id, v.phase);
  const message = str(v.message);
  if (v.kind !== 'alert' || message === undefined || !ALERT_SEVERITIES.includes(v.severity as AlertSeverity)) return undefined;
  return { id, kind: 'alert', severity: v.severity as AlertSeverity, message, phase: v.phase, ...(revision === undefined ? {} : { revision }) };
}

function checkValue(v: unknown): CheckValue | undefined {
  const record = check({ ...(isObject(v) ? v : {}), at: '' });
  if (!record) return undefined;
  const { at: _at, query: _query, message: _message, revision: _revision, ...value } = record;
  return value;
}

function cloudEventEntry(v: Json, id: string, phase: Phase): CloudEventEntry | undefined {
  const [at, routed] = [str(v.at), routes(v.routes)];
  const [iterations, failedChecks] = [count(v.iterations), count(v.failedChecks)];
  const known = (OCCURRENCES as readonly unknown[]).includes(v.occurrence);
  const occurrence = known ? (v.occurrence as Occurrence) : undefined;
  if (occurrence === undefined || at === undefined || routed === undefined) return undefined;
  if (iterations === undefined || failedChecks === undefined || !Array.isArray(v.checks)) return undefined;
  const checks = v.checks.map(checkValue);
  if (checks.some((c) => c === undefined)) return undefined;
  const [reason, message, revision] = [str(v.reason), str(v.message), str(v.revision)];
  const stableRevision = str(v.stableRevision);
  return {
    id, kind: 'cloudEvent', occurrence, at, phase,
    ...(isPhase(v.from) ? { from: v.from } : {}),
    ...(reason === undefined ? {} : { reason: reason as Reason }),
    ...(message === undefined ? {} : { message }),
    ...(revision === undefined ? {} : { revision }),
    ...(stableRevision === undefined ? {} : { stableRevision }),
    routes: routed, iterations, failedChecks, checks: checks as CheckValue[],
  };
}

function holdLeak(v: unknown): HoldLeak | undefined {
  if (!isObject(v)) return undefined;
  const [revision, since, pods, desired] = [str(v.revision), str(v.since), count(v.pods), count(v.desired)];
  if (revision === undefined || since === undefined || pods === undefined || desired === undefined) return undefined;
  return { revision, pods, desired, since };
}

function unsentEvent(v: unknown): UnsentEvent | undefined {
  if (!isObject(v)) return undefined;
  const [name, message, at] = [str(v.name), str(v.message), str(v.at)];
  if (name === undefined || message === undefined || at === undefined || (v.type !== 'Normal' && v.type !== 'Warning')) return undefined;
  return { name, type: v.type, message, at };
}

function list<T>(v: unknown, item: (x: unknown) => T | undefined): T[] {
  if (!Array.isArray(v)) return [];
  return v.map(item).filter((x): x is T => x !== undefined);
}

/** A State, or the reason the JSON is not one. */
export function decodeState(raw: unknown): State | string {
  if (!isObject(raw)) return 'not a JSON object';
  if (raw.version !== STATE_VERSION) return `unknown schema version ${JSON.stringify(raw.version) ?? 'undefined'} (this stepper reads ${STATE_VERSION})`;
  if (!isPhase(raw.phase)) return `unknown phase ${JSON.stringify(raw.phase) ?? 'undefined'}`;
  const r = routes(raw.routes);
  if (r === undefined) return 'routes missing or out of range';
  const [run, iterations, failedChecks, seq] = [raw.run, raw.iterations, raw.failedChecks, raw.seq].map(count);
  if (run === undefined || iterations === undefined || failedChecks === undefined) return 'run, iterations or failedChecks is not a count';
  if (raw.copy !== 'zero' && raw.copy !== 'up') return 'copy must be "zero" or "up"';
  const state: State = {
    version: STATE_VERSION,
    phase: raw.phase,
    run,
    trackedConfigs: stringMap(raw.trackedConfigs) ?? {},
    stableConfigs: stringMap(raw.stableConfigs) ?? {},
    routes: r,
    copy: raw.copy,
    iterations,
    failedChecks,
    analysisStarted: raw.analysisStarted === true,
    rolledOut: raw.rolledOut === true,
    outbox: list(raw.outbox, outboxEntry),
    seq: seq ?? 0,
    checks: list(raw.checks, check),
    transitions: list(raw.transitions, transition),
  };
  for (const key of ['phaseSince', 'message', 'revision', 'stableRevision', 'lastStepAt', 'updatedAt', 'specChecksum'] as const) {
    const text = str(raw[key]);
    if (text !== undefined) state[key] = text;
  }
  const reason = str(raw.reason);
  if (reason !== undefined) state.reason = reason as Reason;
  const w = wait(raw.wait);
  if (w) state.wait = w;
  if (isObject(raw.paused) && str(raw.paused.at) !== undefined) {
    const by = str(raw.paused.by);
    state.paused = { at: str(raw.paused.at) ?? '', ...(by === undefined ? {} : { by }) };
  }
  if (raw.suspended === true) state.suspended = true;
  if (raw.finalized === true) state.finalized = true;
  const last = actionRecord(raw.lastAction);
  if (last) state.lastAction = last;
  const promotion = raw.lastPromotion;
  if (isObject(promotion) && str(promotion.revision) !== undefined && str(promotion.at) !== undefined) {
    state.lastPromotion = { revision: str(promotion.revision) ?? '', at: str(promotion.at) ?? '' };
  }
  const jar = cookies(raw.cookies);
  if (jar) state.cookies = jar;
  const leak = holdLeak(raw.holdLeak);
  if (leak) state.holdLeak = leak;
  const unsent = list(raw.unsentEvents, unsentEvent).slice(-UNSENT_EVENTS_LIMIT);
  if (unsent.length > 0) state.unsentEvents = unsent;
  return state;
}

export type ParsedState =
  | { kind: 'ok'; state: State }
  | { kind: 'empty'; state: State }
  | { kind: 'corrupt'; state: State; reason: string };

/**
 * Reads the annotation. Never throws: no annotation gives a fresh state; garbage, a wrong shape or
 * an unknown schema version gives a fresh state carrying the reason (the runner logs it, the next
 * step emits it as a Warning event and re-initialises from the cluster).
 */
export function parseState(text: string | undefined | null): ParsedState {
  if (text === undefined || text === null || text.trim() === '') return { kind: 'empty', state: freshState() };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = `not JSON: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: 'corrupt', state: freshState(reason), reason };
  }
  const decoded = decodeState(raw);
  if (typeof decoded === 'string') return { kind: 'corrupt', state: freshState(decoded), reason: decoded };
  return { kind: 'ok', state: decoded };
}

/** The annotation's value. Stable key order (the object's), no whitespace. */
export function serializeState(state: State): string {
  return JSON.stringify(state);
}
