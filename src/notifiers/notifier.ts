// The Notifier port: one method, as Flagger's. slack, msteams, discord, rocket and gchat are one
// file each next to nop.ts, chosen by an AlertProvider's `spec.type` (index.ts). Severity
// filtering (info receives everything, warn receives warn and error, error only error) happens
// before post() is called (src/runner/alerts.ts), not in the adapters.

import type { AlertProviderType, AlertSeverity } from '../api/types.js';

export interface NotificationField {
  name: string;
  value: string;
}

export interface Notification {
  /** The canary, shown as `<name>.<namespace>`. */
  canary: { name: string; namespace: string };
  /** Flagger's alert wording, e.g. "New revision detected, progressing canary analysis." */
  message: string;
  severity: AlertSeverity;
  /** Extra facts (Target, Failed checks threshold, Traffic routing, ...), in order. */
  fields: readonly NotificationField[];
}

/** Delivery is a value: a failed post is logged by the caller and never stops a step. */
export type NotifyResult = { ok: true } | { ok: false; message: string };

export interface Notifier {
  post(notification: Notification, signal?: AbortSignal): Promise<NotifyResult>;
}

/** An AlertProvider resolved: its spec with defaults, the Secret's `address` and `token` applied. */
export interface NotifierConfig {
  /** The webhook (or API) URL: the Secret's `address` when a secretRef is set, else `spec.address`. */
  address: string;
  /** The Secret's `token`, sent as `Authorization: Bearer` (Slack's chat.postMessage API). */
  token?: string;
  /** Default `general`. */
  channel: string;
  /** Default `flagger`. */
  username: string;
  /** `spec.proxy`: an http:// proxy URL every post goes through. */
  proxy?: string;
  /** Per post; Flagger's is 5 s. */
  timeoutMs?: number;
}

export type NotifierFactory = (config: NotifierConfig) => Notifier;

/** Every AlertProvider type has a factory: a missing one fails to compile. */
export type NotifierRegistry = Record<AlertProviderType, NotifierFactory>;

export const DEFAULT_CHANNEL = 'general';
export const DEFAULT_USERNAME = 'flagger';
export const NOTIFY_TIMEOUT_MS = 5_000;

/** `<name>.<namespace>`, how every chat service names the canary. */
export const canaryTitle = (n: Notification): string => `${n.canary.name}.${n.canary.namespace}`;

/** A notifier whose every post fails with the same message: for configurations a factory refuses. */
export function failingNotifier(message: string): Notifier {
  return { post: () => Promise.resolve({ ok: false, message }) };
}
