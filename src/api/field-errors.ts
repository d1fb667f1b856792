// Field errors in the style of Kubernetes' own validation (k8s.io/apimachinery field.Error), so a
// denial reads like any other: `spec.analysis.stepWeight: Invalid value: 60: must not exceed maxWeight (50)`.

export type FieldErrorType = 'Required' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'TooLong' | 'NotFound';

export interface FieldError {
  /** The field path, e.g. `spec.analysis.metrics[1].thresholdRange.min`. */
  path: string;
  type: FieldErrorType;
  /** The offending value (Invalid, NotSupported, Duplicate, NotFound). */
  value?: unknown;
  /** Why; for NotSupported, the supported values are listed by the formatter. */
  detail: string;
  /** NotSupported only: the values that would have been accepted. */
  supported?: readonly string[];
}

export interface ValidationResult {
  errors: FieldError[];
  /** Legal but suspicious: admission warnings, printed by kubectl as `Warning: ...`. */
  warnings: string[];
}

/** A tiny path builder: `root('spec').child('analysis').child('metrics').index(2).toString()`. */
export class FieldPath {
  private constructor(private readonly text: string) {}
  static root(name: string): FieldPath {
    return new FieldPath(name);
  }
  child(name: string): FieldPath {
    // An empty field name would vanish from the path; show it as a quoted key instead.
    if (name === '') return new FieldPath(`${this.text}[""]`);
    return new FieldPath(this.text ? `${this.text}.${name}` : name);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k === '' ? '""' : k}]`);
  }
  toString(): string {
    return this.text;
  }
}

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value));

/** Formats one error as Kubernetes does (`<path>: <Type text>: <value>: <detail>`). */
export function formatFieldError(error: FieldError): string {
  switch (error.type) {
    case 'Required':
      return `${error.path}: Required value${error.detail ? `: ${error.detail}` : ''}`;
    case 'Forbidden':
      return `${error.path}: Forbidden: ${error.detail}`;
    case 'Duplicate':
      return `${error.path}: Duplicate value: ${show(error.value)}`;
    case 'TooLong':
      return `${error.path}: Too long: ${error.detail}`;
    case 'NotSupported': {
      const supported = error.supported?.length ? `supported values: ${error.supported.map((s) => JSON.stringify(s)).join(', ')}` : '';
      const detail = [error.detail, supported].filter(Boolean).join('; ');
      return `${error.path}: Unsupported value: ${show(error.value)}${detail ? `: ${detail}` : ''}`;
    }
    case 'Invalid':
      return `${error.path}: Invalid value: ${show(error.value)}: ${error.detail}`;
    case 'NotFound':
      return `${error.path}: Not found: ${show(error.value)}${error.detail ? `: ${error.detail}` : ''}`;
  }
}
