// Times for people: RFC 3339 to the second (as kubectl prints them), and compact durations.

/** `2025-01-01T00:01:30Z`: an ISO time without milliseconds; the input unchanged when unparsable. */
export function isoSeconds(at: string | number | Date | undefined): string {
  if (at === undefined) return '';
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(ms)) return String(at);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1h2m`, `4m30s`, `12s`, `0s`: at most two units, rounded down to the second. */
export function span(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const units: [number, string][] = [[d, 'd'], [h, 'h'], [m, 'm'], [s, 's']];
  const first = units.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join('');
}

/** `in 12s` or `12s ago` relative to now (`now` for less than a second either way). */
export function relative(at: string | undefined, now: Date): string {
  if (at === undefined) return '';
  const ms = Date.parse(at) - now.getTime();
  if (Number.isNaN(ms)) return '';
  if (Math.abs(ms) < 1000) return 'now';
  return ms > 0 ? `in ${span(ms)}` : `${span(-ms)} ago`;
}

/** `+1m30s`: an offset from the start of a simulated release. */
export const offset = (ms: number): string => `+${span(ms)}`;
