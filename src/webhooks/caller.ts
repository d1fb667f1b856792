// The webhook caller: all eight hook types (confirm-rollout, pre-rollout, rollout,
// confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event) are the same call,
// a JSON POST of Flagger's payload; what a result means is the stepper's business (§8.2).
//
// Semantics (flagger-compat.md §8.3), with one deliberate difference:
// - each attempt is bounded by the hook's `timeout`; `retries` more attempts follow connection
//   errors, timeouts, 429 and 5xx (except 501), with exponential backoff (1s, 2s, 4s, ... up to
//   30s, or the server's Retry-After), as Flagger's retrying HTTP client does;
// - success is any 2xx. Flagger accepts only 200-202 and so fails a hook answering 204 No Content
//   (§15.2 item 12); Davy counts 204 (and every 2xx) as success;
// - on failure the message is the response body, as Flagger's events show it ("... external check
//   load-test failed Forbidden"); an empty body gives "HTTP <status>". The body comes from any URL
//   a Canary names and lands in Events that every reader of the namespace sees, so it is
//   sanitised (control and format characters, ANSI escapes, line breaks become one space) and cut
//   to 200 characters: enough for a reason, too little to carry a page of someone's data.
// Results are values; nothing here throws.

import type { EffectiveWebhook } from '../api/defaults.js';
import type { CanaryPhase } from '../api/types.js';
import { redactUrl, sendRequest, type OutboundResponse } from './http.js';
import { buildPayload, type CanaryEvent } from './payload.js';

export type WebhookResult =
  | { ok: true; status: number; attempts: number }
  | { ok: false; message: string; status?: number; attempts: number };

export interface WebhookCall {
  hook: EffectiveWebhook;
  canary: { name: string; namespace: string };
  /** The canary's phase, sent as `phase`. */
  phase: CanaryPhase;
  /** payloadChecksum(revision, configs). */
  checksum: string;
  /** For `event` hooks: the event being recorded. */
  event?: CanaryEvent;
}

/** The port the stepper's runner calls; tests substitute a recording fake. */
export interface WebhookCaller {
  call(call: WebhookCall, signal?: AbortSignal): Promise<WebhookResult>;
}

export interface CallerOptions {
  /** Wait before retry `n` (1-based) in ms; default 1s * 2^(n-1), at most 30s. */
  backoffMs?: (retry: number) => number;
  /** Characters of a response body kept in a failure message; default 200. */
  maxMessageChars?: number;
}

export const MAX_BACKOFF_MS = 30_000;
const DEFAULT_MAX_MESSAGE_CHARS = 200;

export const defaultBackoffMs = (retry: number): number => Math.min(1000 * 2 ** (retry - 1), MAX_BACKOFF_MS);

export function createWebhookCaller(options: CallerOptions = {}): WebhookCaller {
  return { call: (call, signal) => callWebhook(call, { ...options, ...(signal ? { signal } : {}) }) };
}

export async function callWebhook(call: WebhookCall, options: CallerOptions & { signal?: AbortSignal } = {}): Promise<WebhookResult> {
  const { hook } = call;
  const body = JSON.stringify(buildPayload({
    canary: call.canary,
    phase: call.phase,
    checksum: call.checksum,
    metadata: hook.metadata,
    ...(call.event ? { event: call.event } : {}),
  }));
  const backoff = options.backoffMs ?? defaultBackoffMs;
  const maxChars = options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS;
  for (let attempt = 1; ; attempt += 1) {
    const response = await sendRequest({
      method: 'POST',
      url: hook.url,
      headers: { 'content-type': 'application/json', 'user-agent': 'davy' },
      body,
      timeoutMs: hook.timeoutMs,
      insecureSkipVerify: hook.disableTLS,
      maxBodyBytes: maxChars * 4,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.kind === 'response' && response.status >= 200 && response.status < 300) {
      return { ok: true, status: response.status, attempts: attempt };
    }
    const retryable = isRetryable(response);
    if (!retryable || attempt > hook.retries || options.signal?.aborted) {
      return failed(response, attempt, hook.retries, maxChars);
    }
    const waited = await sleep(retryAfterMs(response) ?? backoff(attempt), options.signal);
    if (!waited) return { ok: false, message: `POST ${redactUrl(hook.url)}: cancelled`, attempts: attempt };
  }
}

function isRetryable(response: OutboundResponse): boolean {
  if (response.kind === 'failure') return response.reason === 'network' || response.reason === 'timeout';
  return response.status === 429 || (response.status >= 500 && response.status !== 501);
}

/** Retry-After in seconds on 429 and 503, as Flagger's client honours it; capped like the backoff. */
function retryAfterMs(response: OutboundResponse): number | undefined {
  if (response.kind !== 'response' || (response.status !== 429 && response.status !== 503)) return undefined;
  const header = response.headers['retry-after'];
  const seconds = typeof header === 'string' && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  return seconds === undefined ? undefined : Math.min(seconds * 1000, MAX_BACKOFF_MS);
}

function failed(response: OutboundResponse, attempts: number, retries: number, maxChars: number): WebhookResult {
  const after = retries > 0 && attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (response.kind === 'failure') return { ok: false, message: `${response.message}${after}`, attempts };
  const text = sanitise(response.body);
  const shown = text.length > maxChars || response.truncated ? `${[...text].slice(0, maxChars).join('')}...` : text;
  const message = shown || `HTTP ${response.status} ${response.statusText}`.trim();
  return { ok: false, message: `${message}${after}`, status: response.status, attempts };
}

/** A terminal escape sequence (CSI): ESC [ parameters intermediates final. */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-?]*[ -/]*[@-~]`, 'g');

/** One printable line: ANSI escape sequences dropped, control/format characters and runs of white space made one space. */
export function sanitise(body: string): string {
  return body
    .replace(ANSI_ESCAPE, '')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
