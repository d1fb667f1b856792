// The revision of a pod template: the first 16 hex digits of the SHA-256 of its RFC 8785
// canonical JSON. The webhook, the stepper and every tool compute it here, so they always agree.
//
// The webhook hashes a template on every review, so the serialiser is written for speed: one
// pass that writes UTF-8 straight into a byte buffer (no intermediate strings or arrays per
// member), each object's keys sorted once in place, and the hash taken over the bytes. Its output
// is pinned to a plain reference implementation by a property test (test/unit/api/revision.test.ts).
import { hash } from 'node:crypto';

/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON data model: object members sorted by the
 * UTF-16 code units of their names, no whitespace, numbers and strings as ECMAScript's
 * JSON.stringify serialises them. `undefined` members are dropped and `undefined` array items
 * become `null`, as JSON.stringify does; a non-finite number throws.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value);
  return Buffer.from(out.bytes.buffer, out.bytes.byteOffset, out.length).toString('utf8');
}

/** The revision of a workload's `spec.template`. */
export function templateRevision(template: unknown): string {
  const out = serialise(template ?? {});
  return hash('sha256', out.bytes.subarray(0, out.length), 'hex').slice(0, 16);
}

/** Bytes written so far; `bytes` may be longer than `length`. */
interface Output {
  bytes: Uint8Array;
  length: number;
}

// One scratch buffer, reused while it is free (a getter re-entering canonicalJson gets its own).
let scratch: Uint8Array | undefined = new Uint8Array(16 * 1024);

function serialise(value: unknown): Output {
  const bytes = scratch ?? new Uint8Array(16 * 1024);
  scratch = undefined;
  const writer = new Writer(bytes);
  try {
    writer.value(value);
    return { bytes: writer.bytes, length: writer.pos };
  } finally {
    scratch = writer.bytes.length <= 1024 * 1024 ? writer.bytes : bytes;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
// JSON.stringify's short escapes for control characters; the others are \u00XX.
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

class Writer {
  pos = 0;
  constructor(public bytes: Uint8Array) {}

  value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalise non-finite number ${value}`);
        this.ascii(String(value)); // ECMAScript Number::toString, as JSON.stringify: -0 is "0", 1e21 is "1e+21"
        return;
      case 'boolean':
        this.ascii(value ? 'true' : 'false');
        return;
      case 'bigint':
        throw new TypeError('cannot canonicalise a BigInt');
      case 'object':
        if (value === null) this.ascii('null');
        else if (Array.isArray(value)) this.array(value);
        else this.object(value as Record<string, unknown>);
        return;
      default: // undefined, functions and symbols: JSON has no such value
        this.ascii('null');
    }
  }

  private array(items: readonly unknown[]): void {
    this.byte(0x5b);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.byte(0x2c);
      const item = items[i];
      if (item === undefined) this.ascii('null');
      else this.value(item);
    }
    this.byte(0x5d);
  }

  private object(record: Record<string, unknown>): void {
    const keys = Object.keys(record);
    sortByCodeUnits(keys);
    this.byte(0x7b);
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const member = record[key];
      if (member === undefined) continue;
      if (!first) this.byte(0x2c);
      first = false;
      this.string(key);
      this.byte(0x3a);
      this.value(member);
    }
    this.byte(0x7d);
  }

  /** A JSON string as JSON.stringify writes it (well-formed: lone surrogates escaped), in UTF-8. */
  private string(text: string): void {
    const n = text.length;
    this.reserve(n * 6 + 2); // the worst case: every code unit as \uXXXX
    const b = this.bytes;
    let p = this.pos;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x20 && c < 0x80) {
        if (c === QUOTE || c === BACKSLASH) b[p++] = BACKSLASH;
        b[p++] = c;
      } else if (c < 0x20) {
        b[p++] = BACKSLASH;
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) {
          b[p++] = short;
        } else {
          p = unicodeEscape(b, p, c);
        }
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          b[p++] = 0xf0 | (point >> 18);
          b[p++] = 0x80 | ((point >> 12) & 0x3f);
          b[p++] = 0x80 | ((point >> 6) & 0x3f);
          b[p++] = 0x80 | (point & 0x3f);
        } else {
          b[p++] = BACKSLASH; // a lone surrogate: \udXXX, as JSON.stringify writes it
          p = unicodeEscape(b, p, c);
        }
      }
    }
    b[p++] = QUOTE;
    this.pos = p;
  }

  /** Text known to be ASCII (numbers, literals). */
  private ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.bytes[this.pos++] = text.charCodeAt(i);
  }

  private byte(c: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = c;
  }

  private reserve(extra: number): void {
    if (this.pos + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + extra));
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }
}

/** Writes `u` and four lowercase hex digits of `c` after a backslash already written. */
function unicodeEscape(b: Uint8Array, p: number, c: number): number {
  b[p++] = 0x75;
  b[p++] = HEX.charCodeAt((c >> 12) & 0xf);
  b[p++] = HEX.charCodeAt((c >> 8) & 0xf);
  b[p++] = HEX.charCodeAt((c >> 4) & 0xf);
  b[p++] = HEX.charCodeAt(c & 0xf);
  return p;
}

/**
 * Sorts in place by UTF-16 code units (what `<` compares). Insertion sort: objects have a handful
 * of keys, usually nearly sorted already; larger ones take the built-in sort, same order.
 */
function sortByCodeUnits(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
}
