// Terminal styling and cursor control with plain escape sequences (no dependency). Styles are
// applied after layout: every width computation works on the visible text (visibleWidth).

export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string): string => (text === '' ? text : `\x1b[${open}m${text}\x1b[${close}m`);

export const COLOR: Paint = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

const same = (text: string): string => text;
export const PLAIN: Paint = { bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;

export const stripAnsi = (text: string): string => text.replace(ESCAPES, '');

/** Columns a string takes on a terminal: escape sequences take none; each code point one. */
export const visibleWidth = (text: string): number => [...stripAnsi(text)].length;

/** Cuts a line to `width` visible columns, the last one an ellipsis; styles are reset after a cut. */
export function truncateVisible(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  let i = 0;
  while (i < text.length && used < width - 1) {
    // eslint-disable-next-line no-control-regex -- an escape sequence at the cursor
    const escape = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(text.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) ?? 32);
    out += char;
    i += char.length;
    used += 1;
  }
  return `${out}…${text.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

/** The paint for a stream: colours on a terminal, unless NO_COLOR is set (https://no-color.org). */
export const paintFor = (isTTY: boolean, noColor: boolean): Paint => (isTTY && !noColor ? COLOR : PLAIN);

export const CURSOR = {
  hide: '\x1b[?25l',
  show: '\x1b[?25h',
  /** Moves to the start of the line `n` lines up (nothing for 0). */
  up: (n: number): string => (n > 0 ? `\x1b[${n}F` : '\r'),
  /** Clears from the cursor to the end of the screen. */
  clearBelow: '\x1b[J',
};
