// The notifier for canaries without alerts and steppers without a global one: drops every
// notification, successfully (Flagger's behaviour without an alert URL).

import type { Notifier } from './notifier.js';

export const nopNotifier: Notifier = {
  post: () => Promise.resolve({ ok: true }),
};
