// Go's time.ParseDuration grammar ("300ms", "1m30s", "1.5h"), returning milliseconds. Flagger
// parses its durations with Go; Davy accepts the same strings, but an unparsable one is an error
// (undefined here), never a silent 60s.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Milliseconds, or undefined when `text` is not a non-negative Go duration. A bare "0" is zero as
 * in Go; any other number needs a unit. Signs are refused: no Davy duration may be negative.
 */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  if (text === '0') return 0;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const start = TERM.lastIndex;
    const match = TERM.exec(text);
    if (!match || match.index !== start) return undefined;
    const [, amount = '', unit = ''] = match;
    const factor = UNIT_MS[unit];
    if (factor === undefined) return undefined;
    total += Number(amount) * factor;
  }
  return Number.isFinite(total) ? total : undefined;
}

/** A compact rendering for messages: 90000 -> "1m30s", 500 -> "500ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) parts.push(`${Number((rest / 1000).toFixed(3))}s`);
  return parts.join('');
}
