// A small model of the OpenAPI v3 subset a structural CRD schema uses, with builders. The same
// values are written into deploy/crds (a unit test keeps them equal) and drive checkStructure(),
// so the CRD can never be stricter than the validator.

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface CelRule {
  rule: string;
  message: string;
}

export interface Schema {
  type?: SchemaType;
  description?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  required?: string[];
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  default?: unknown;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-validations'?: CelRule[];
}

/**
 * Enums the validator checks itself with a better message (e.g. "not supported yet by Davy");
 * checkStructure skips them. Kept out of the schema objects so the CRD stays plain.
 */
const semanticEnums = new WeakSet<Schema>();
export const isSemanticEnum = (schema: Schema): boolean => semanticEnums.has(schema);

const described = (schema: Schema, description?: string): Schema => (description ? { description, ...schema } : schema);

export const str = (description?: string): Schema => described({ type: 'string' }, description);
export const bool = (description?: string): Schema => described({ type: 'boolean' }, description);
export const num = (description?: string): Schema => described({ type: 'number' }, description);

export function int(description?: string, bounds: { minimum?: number; maximum?: number } = {}): Schema {
  return described({ type: 'integer', ...bounds }, description);
}

export const intOrString = (description?: string): Schema => described({ 'x-kubernetes-int-or-string': true }, description);

export function enumOf(values: readonly string[], description?: string): Schema {
  return described({ type: 'string', enum: [...values] }, description);
}

/** An enum in the CRD whose violations the validator reports itself (see isSemanticEnum). */
export function semanticEnumOf(values: readonly string[], description?: string): Schema {
  const schema = enumOf(values, description);
  semanticEnums.add(schema);
  return schema;
}

export function arr(items: Schema, description?: string, maxItems?: number): Schema {
  return described({ type: 'array', items, ...(maxItems === undefined ? {} : { maxItems }) }, description);
}

export const mapOf = (values: Schema, description?: string): Schema => described({ type: 'object', additionalProperties: values }, description);

export const stringMap = (description?: string): Schema => mapOf({ type: 'string' }, description);

export interface ObjectOptions {
  description?: string;
  required?: string[];
  validations?: CelRule[];
}

export function obj(properties: Record<string, Schema>, options: ObjectOptions = {}): Schema {
  return described(
    {
      type: 'object',
      ...(options.required?.length ? { required: options.required } : {}),
      properties,
      ...(options.validations?.length ? { 'x-kubernetes-validations': options.validations } : {}),
    },
    options.description,
  );
}
