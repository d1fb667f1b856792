// Flagger's webhook payload (flagger-compat.md §8.3), so Flagger's load tester and any receiver
// written for Flagger read Davy's calls unchanged:
//
//   { "name": "podinfo", "namespace": "test", "phase": "Progressing",
//     "checksum": "3f2a9c0d1e4b5a67", "metadata": { "cmd": "hey ..." } }
//
// `checksum` identifies what is being analysed, so receivers can de-duplicate Davy's at-least-once
// calls (DESIGN.md, the stepper): it is the revision under analysis (the `davy.dev/pending-revision`
// value) when the template references no tracked ConfigMaps or Secrets, and otherwise
// `<revision>-<8 hex digits of their checksums>`, so a config-only change is a new checksum too.
// `metadata` is always present (`{}` when the hook has none; Flagger omits it then).

import { createHash } from 'node:crypto';

import { canonicalJson } from '../api/revision.js';
import type { CanaryPhase } from '../api/types.js';

export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: CanaryPhase;
  checksum: string;
  metadata: Record<string, string>;
}

/** A Kubernetes event Davy records for the canary, forwarded to `event` hooks. */
export interface CanaryEvent {
  message: string;
  type: 'Normal' | 'Warning';
  /** Unix time in milliseconds. */
  timestamp: number;
}

/** `configChecksums`: tracked config name (`configmap/x`, `secret/y`) to its data's checksum. */
export function payloadChecksum(revision: string, configChecksums: Readonly<Record<string, string>> = {}): string {
  if (Object.keys(configChecksums).length === 0) return revision;
  const configs = createHash('sha256').update(canonicalJson(configChecksums)).digest('hex').slice(0, 8);
  return `${revision}-${configs}`;
}

export interface PayloadInput {
  canary: { name: string; namespace: string };
  phase: CanaryPhase;
  checksum: string;
  /** The hook's own metadata (`metadata.cmd`, `metadata.type` for the load tester). */
  metadata: Readonly<Record<string, string>>;
  /** For `event` hooks: merged into metadata, overriding any user keys of the same name. */
  event?: CanaryEvent;
}

export function buildPayload(input: PayloadInput): WebhookPayload {
  const metadata: Record<string, string> = { ...input.metadata };
  if (input.event) {
    metadata.eventMessage = input.event.message;
    metadata.eventType = input.event.type;
    metadata.timestamp = String(input.event.timestamp);
  }
  return { name: input.canary.name, namespace: input.canary.namespace, phase: input.phase, checksum: input.checksum, metadata };
}
