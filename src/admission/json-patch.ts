// Minimal RFC 6902 patches from a current value to a desired one, for the few places the mutating
// webhook writes: string maps (labels, annotations) and single spec fields.
import type { JsonPatchOperation } from './review.js';

/** RFC 6901: `~` becomes `~0`, `/` becomes `~1` (so `davy.dev/held` is `davy.dev~1held`). */
export const escapePointerToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Equality of JSON values as RFC 8785 sees it (member order ignored, `undefined` members absent),
 * so `jsonEqual(a, b)` iff `canonicalJson(a) === canonicalJson(b)`, without serialising: a walk that
 * stops at the first difference, several times cheaper than hashing a pod template.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!jsonEqual(x[i] ?? null, y[i] ?? null)) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const key in x) {
    if (!Object.prototype.hasOwnProperty.call(x, key)) continue;
    const value = x[key];
    if (value === undefined) continue;
    defined++;
    if (!Object.prototype.hasOwnProperty.call(y, key) || !jsonEqual(value, y[key])) return false;
  }
  // Every defined member of x is in y with an equal value: equal iff y has no other defined one.
  for (const key in y) if (Object.prototype.hasOwnProperty.call(y, key) && y[key] !== undefined) defined--;
  return defined === 0;
}

const same = (a: unknown, b: unknown): boolean => a === b || (a !== undefined && b !== undefined && jsonEqual(a, b));

/**
 * Operations turning the map at `base` (absent when `current` is undefined) into `desired`, in
 * key order. An absent map is added whole; a present one is edited key by key, so concurrent
 * keys owned by others are never rewritten.
 */
export function mapPatch(base: string, current: Readonly<Record<string, string>> | undefined, desired: Readonly<Record<string, string>>): JsonPatchOperation[] {
  if (current === undefined) {
    return Object.keys(desired).length === 0 ? [] : [{ op: 'add', path: base, value: { ...desired } }];
  }
  const ops: JsonPatchOperation[] = [];
  const keys = [...new Set([...Object.keys(current), ...Object.keys(desired)])].sort();
  for (const key of keys) {
    const path = `${base}/${escapePointerToken(key)}`;
    const want = desired[key];
    if (want === undefined) {
      if (current[key] !== undefined) ops.push({ op: 'remove', path });
    } else if (current[key] !== want) {
      ops.push({ op: 'add', path, value: want });
    }
  }
  return ops;
}

/** The operation setting one field (whose parent exists) to `desired`; none when it already is. */
export function fieldPatch(pointer: string, current: unknown, desired: unknown): JsonPatchOperation[] {
  if (same(current, desired)) return [];
  if (desired === undefined) return [{ op: 'remove', path: pointer }];
  return [{ op: 'add', path: pointer, value: desired }];
}
