// The Notifier port: one method, as Flagger's. Alerts are the next wave (issue 5): slack, msteams,
// discord, rocket and gchat adapters will each be one file next to nop.ts, chosen by an
// AlertProvider's `spec.type`. Severity filtering (info receives everything, warn receives warn and
// error, error only error) happens before post() is called, not in the adapters.

import type { AlertSeverity } from '../api/types.js';

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
