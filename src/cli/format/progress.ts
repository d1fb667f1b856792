// Progress bars for a terminal: `[██████░░░░░░░░░░]`, a fraction clamped to [0, 1].

export interface BarOptions {
  width?: number;
  /** ASCII `#` and `.` instead of block characters (logs, dumb terminals). */
  ascii?: boolean;
}

export const BAR_WIDTH = 20;

export function bar(fraction: number, options: BarOptions = {}): string {
  const width = options.width ?? BAR_WIDTH;
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  const [on, off] = options.ascii ? ['#', '.'] : ['█', '░'];
  return `[${on.repeat(filled)}${off.repeat(width - filled)}]`;
}
