// Checks shared by the three kinds: durations, percentages, names, string matches, unique names.

import { parseDuration } from './durations.js';
import type { FieldPath } from './field-errors.js';
import { message } from './messages.js';
import { isHttpUrl, looksLikeDns1035Label, looksLikeDns1123Label, looksLikeDns1123Subdomain, DNS1123_SUBDOMAIN_MAX } from './names.js';
import { asArray, asInteger, asRecord, asString, isSet, type Report } from './validate-context.js';

/** 63 minus `-primary`: the longest apex service (and Canary) name whose derived names stay valid. */
export const SERVICE_NAME_MAX = 63 - '-primary'.length;

/** A Go duration; returns its milliseconds when valid. */
export function checkDuration(value: unknown, path: FieldPath, report: Report): number | undefined {
  const text = asString(value);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) report.invalid(path, text, 'duration');
  else if (ms <= 0) report.invalid(path, text, 'durationPositive');
  else return ms;
  return undefined;
}

/** An integer percentage between min and 100; returns it when valid. */
export function checkPercent(value: unknown, path: FieldPath, report: Report, min: 0 | 1): number | undefined {
  const n = asInteger(value);
  if (n === undefined) return undefined;
  if (n < min || n > 100) {
    report.invalid(path, n, 'percentRange', { min });
    return undefined;
  }
  return n;
}

export function checkUrl(value: unknown, path: FieldPath, report: Report): void {
  const text = asString(value);
  if (text !== undefined && !isHttpUrl(text)) report.invalid(path, text, 'url');
}

export function checkSubdomain(value: unknown, path: FieldPath, report: Report, max = DNS1123_SUBDOMAIN_MAX, derived?: string): void {
  const name = asString(value);
  if (name === undefined) return;
  if (!looksLikeDns1123Subdomain(name)) report.invalid(path, name, 'dns1123Subdomain');
  else if (name.length > max) report.tooLong(path, 'nameTooLong', { max, derived: derived ?? `"${name}"` });
}

export function checkLabel(value: unknown, path: FieldPath, report: Report): void {
  const name = asString(value);
  if (name !== undefined && !looksLikeDns1123Label(name)) report.invalid(path, name, 'dns1123Label');
  else if (name !== undefined && name.length > 63) report.tooLong(path, 'nameTooLong', { max: 63, derived: `"${name}"` });
}

/**
 * A Service name Davy derives `<name>-primary` and `<name>-canary` from: a DNS-1035 label short
 * enough for the suffix. `defaulted` says the name came from targetRef.name, which the message tells.
 */
export function checkServiceName(name: string, path: FieldPath, report: Report, defaulted: boolean): void {
  const max = SERVICE_NAME_MAX;
  if (!looksLikeDns1035Label(name)) {
    if (defaulted) report.invalid(path, name, 'serviceNameFromTarget', { rule: message('dns1035Label') });
    else report.invalid(path, name, 'dns1035Label');
  } else if (name.length > max) {
    const params = { max, derived: `"${name}-primary"` };
    if (defaulted) report.tooLong(path, 'serviceNameFromTarget', { rule: message('nameTooLong', params) });
    else report.tooLong(path, 'nameTooLong', params);
  }
}

/** An Istio-style string match: exactly one of `options` must be set. */
export function checkStringMatch(value: unknown, path: FieldPath, report: Report, options: readonly string[]): void {
  const match = asRecord(value);
  if (!match) return;
  const set = options.filter((o) => isSet(match[o]));
  if (set.length !== 1) report.invalid(path, match, 'stringMatch', { options: options.join(', ') });
}

export function checkStringMatchMap(value: unknown, path: FieldPath, report: Report, options: readonly string[]): void {
  const map = asRecord(value);
  if (!map) return;
  for (const [key, match] of Object.entries(map)) checkStringMatch(match, path.key(key), report, options);
}

/** Reports a Duplicate for every repeated `name` in a list of objects. */
export function checkUniqueNames(list: unknown, path: FieldPath, report: Report): void {
  const seen = new Set<string>();
  (asArray(list) ?? []).forEach((item, i) => {
    const name = asString(asRecord(item)?.name);
    if (name === undefined) return;
    if (seen.has(name)) report.duplicate(path.index(i).child('name'), name);
    seen.add(name);
  });
}
