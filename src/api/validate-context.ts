// The validator's working parts: a Report that collects every error and warning, and readers that
// look at an `unknown` without trusting it (a wrong type yields undefined: the structural check has
// already reported it, so semantic rules simply skip the field).

import type { FieldError, FieldPath, ValidationResult } from './field-errors.js';
import { message, warning, type MessageKey, type MessageParams, type WarningKey } from './messages.js';

export class Report {
  readonly errors: FieldError[] = [];
  readonly warnings: string[] = [];

  required(path: FieldPath, detail = ''): void {
    this.errors.push({ path: path.toString(), type: 'Required', detail });
  }
  invalid(path: FieldPath, value: unknown, key: MessageKey, params?: MessageParams): void {
    this.errors.push({ path: path.toString(), type: 'Invalid', value, detail: message(key, params) });
  }
  /** `detail` is a message key or empty; the formatter appends the supported values. */
  notSupported(path: FieldPath, value: unknown, supported: readonly string[], key?: MessageKey): void {
    this.errors.push({ path: path.toString(), type: 'NotSupported', value, detail: key ? message(key) : '', supported: [...supported] });
  }
  forbidden(path: FieldPath, key: MessageKey, params?: MessageParams): void {
    this.errors.push({ path: path.toString(), type: 'Forbidden', detail: message(key, params) });
  }
  duplicate(path: FieldPath, value: unknown): void {
    this.errors.push({ path: path.toString(), type: 'Duplicate', value, detail: '' });
  }
  tooLong(path: FieldPath, key: MessageKey, params?: MessageParams): void {
    this.errors.push({ path: path.toString(), type: 'TooLong', detail: message(key, params) });
  }
  notFound(path: FieldPath, value: unknown, key: MessageKey, params?: MessageParams): void {
    this.errors.push({ path: path.toString(), type: 'NotFound', value, detail: message(key, params) });
  }
  warn(key: WarningKey, params?: MessageParams): void {
    this.warnings.push(warning(key, params));
  }
  result(): ValidationResult {
    return { errors: [...this.errors], warnings: [...new Set(this.warnings)] };
  }
}

export type Json = Record<string, unknown>;

export const asRecord = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
export const asArray = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);
export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
export const asInteger = (value: unknown): number | undefined => (Number.isInteger(value) ? (value as number) : undefined);
export const asBoolean = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
/** Present means neither undefined nor null (the API server drops null fields). */
export const isSet = (value: unknown): boolean => value !== undefined && value !== null;

/** What the Canary rules share: the report, and what the spec implies once its provider is known. */
export interface CanaryContext {
  report: Report;
  /** The routed provider the canary runs with; undefined when the provider is refused. */
  provider: import('./providers.js').DavyProvider | undefined;
  strategy: import('./strategy.js').Strategy;
  spec: Json;
}
