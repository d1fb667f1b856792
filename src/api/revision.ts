// The revision of a pod template: the first 16 hex digits of the SHA-256 of its RFC 8785
// canonical JSON. The webhook, the stepper and every tool compute it here, so they always agree.
import { createHash } from 'node:crypto';

/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON data model: object members sorted by the
 * UTF-16 code units of their names, no whitespace, numbers and strings as ECMAScript serialises
 * them. `undefined` members are dropped, as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`cannot canonicalise non-finite number ${value}`);
    }
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/** The revision of a workload's `spec.template`. */
export function templateRevision(template: unknown): string {
  return createHash('sha256').update(canonicalJson(template ?? {})).digest('hex').slice(0, 16);
}
