// How a check reads on a terminal, in `davy status` and `davy simulate` alike: its value, its
// bounds and its verdict, coloured by verdict.

import type { Paint } from './ansi.js';

/** Up to six significant digits, no trailing zeros, no exponent for everyday magnitudes. */
export function formatValue(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `>= 99`, `<= 500`, `99..100`, or '' for a check without bounds. */
export function formatThreshold(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${formatValue(min)}..${formatValue(max)}`;
  if (min !== undefined) return `>= ${formatValue(min)}`;
  if (max !== undefined) return `<= ${formatValue(max)}`;
  return '';
}

/** A value judged against inclusive bounds: the stepper's rule, for values the simulator reports raw. */
export const withinBounds = (value: number, min: number | undefined, max: number | undefined): boolean =>
  (min === undefined || value >= min) && (max === undefined || value <= max);

export function paintVerdict(paint: Paint, verdict: string, text: string = verdict): string {
  switch (verdict) {
    case 'ok':
      return paint.green(text);
    case 'failed':
    case 'error':
      return paint.red(text);
    case 'noData':
      return paint.yellow(text);
    default:
      return text;
  }
}

/** `request-success-rate 99.5 (>= 99) ok`: one check on one line. */
export function checkSummary(
  paint: Paint,
  check: { name: string; value?: number; min?: number; max?: number; verdict: string },
): string {
  const threshold = formatThreshold(check.min, check.max);
  const value = check.value === undefined ? '' : ` ${formatValue(check.value)}`;
  return `${check.name}${value}${threshold ? ` (${threshold})` : ''} ${paintVerdict(paint, check.verdict)}`;
}
