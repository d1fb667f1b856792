// Checks a value against a structural schema as the API server would (types, required fields,
// enums, bounds, unknown fields), reporting every violation. CEL rules are not evaluated here: each
// has a semantic twin in the validator.

import type { FieldPath } from './field-errors.js';
import { isSet, Report } from './validate-context.js';
import { isSemanticEnum, type Schema, type SchemaType } from './schema-openapi.js';

const TYPE_NAMES: Record<SchemaType, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
};

function hasType(value: unknown, type: SchemaType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

export function checkStructure(value: unknown, schema: Schema, path: FieldPath, report: Report): void {
  if (!isSet(value)) return;
  if (schema['x-kubernetes-int-or-string']) {
    if (!Number.isInteger(value) && typeof value !== 'string') report.invalid(path, value, 'wrongType', { expected: 'an integer or a string' });
    return;
  }
  if (schema.type && !hasType(value, schema.type)) {
    report.invalid(path, value, 'wrongType', { expected: TYPE_NAMES[schema.type] });
    return;
  }
  if (schema.enum && !isSemanticEnum(schema) && !schema.enum.includes(value as string)) {
    report.notSupported(path, value, schema.enum);
  }
  if (typeof value === 'number') checkBounds(value, schema, path, report);
  if (Array.isArray(value)) checkArray(value, schema, path, report);
  else if (typeof value === 'object') checkObject(value as Record<string, unknown>, schema, path, report);
}

function checkBounds(value: number, schema: Schema, path: FieldPath, report: Report): void {
  if (schema.minimum !== undefined && value < schema.minimum) report.invalid(path, value, 'belowMinimum', { minimum: schema.minimum });
  if (schema.maximum !== undefined && value > schema.maximum) report.invalid(path, value, 'aboveMaximum', { maximum: schema.maximum });
}

function checkArray(value: unknown[], schema: Schema, path: FieldPath, report: Report): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) report.tooLong(path, 'tooManyItems', { maxItems: schema.maxItems });
  if (!schema.items) return;
  value.forEach((item, i) => checkStructure(item, schema.items as Schema, path.index(i), report));
}

function checkObject(value: Record<string, unknown>, schema: Schema, path: FieldPath, report: Report): void {
  for (const name of schema.required ?? []) {
    if (!isSet(value[name])) report.required(path.child(name));
  }
  const { properties, additionalProperties } = schema;
  // An object node without properties is opaque (metadata): the API server checks it itself.
  if (!properties && !additionalProperties) return;
  for (const [key, child] of Object.entries(value)) {
    const declared = properties && Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (declared) checkStructure(child, declared, path.child(key), report);
    else if (additionalProperties) checkStructure(child, additionalProperties, path.key(key), report);
    else report.forbidden(path.child(key), 'unknownField');
  }
}
