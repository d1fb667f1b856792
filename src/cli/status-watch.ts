// `davy status --watch`: poll, render, redraw, until interrupted. On a terminal each frame replaces
// the last in place (cursor movement, no full-screen clear, so the scrollback stays); to a pipe or
// a file a frame is written only when it differs from the last one, and with -o json each frame
// is one JSON line.

import { CURSOR, truncateVisible } from './format/ansi.js';
import { isoSeconds } from './format/time.js';
import type { OutputFormat } from '../config/cli.js';

export const WATCH_INTERVAL_MS = 2_000;

export interface Screen {
  write(text: string): void;
  /** The terminal's size when the output is one; undefined for a pipe or a file. */
  size?: () => { columns: number; rows: number };
}

export interface WatchIO {
  screen: Screen;
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
}

/** What one poll shows: text lines, or the JSON document for -o json. */
export interface Frame {
  lines: string[];
  json: unknown;
}

export interface WatchOptions {
  format: OutputFormat;
  title: string;
  intervalMs?: number;
}

/** A frame laid out for the terminal: cut to its width, and to its height with a note. */
function fit(lines: string[], size: { columns: number; rows: number }): string[] {
  const width = Math.max(20, size.columns);
  const height = Math.max(3, size.rows - 1);
  const cut = lines.length > height ? [...lines.slice(0, height - 1), `… ${lines.length - height + 1} more lines (a larger terminal shows them)`] : lines;
  return cut.map((l) => truncateVisible(l, width));
}

/**
 * Polls every `intervalMs` until the signal aborts. `poll(live)` renders one frame; `live` says
 * whether relative times ("in 12s") belong in it. A poll that throws shows its error and the
 * watch goes on.
 */
export async function watchLoop(
  poll: (live: boolean) => Promise<Frame>,
  io: WatchIO,
  options: WatchOptions,
): Promise<void> {
  const live = io.screen.size !== undefined && options.format === 'text';
  let drawn = 0;
  let last = '';
  if (live) io.screen.write(CURSOR.hide);
  try {
    while (!io.signal.aborted) {
      let frame: Frame;
      try {
        frame = await poll(live);
      } catch (error) {
        const message = `poll failed: ${error instanceof Error ? error.message : String(error)}`;
        frame = { lines: [message], json: { error: message } };
      }
      if (io.signal.aborted) break;
      const now = io.now();
      if (live && io.screen.size) {
        const header = `${options.title}: every ${Math.round((options.intervalMs ?? WATCH_INTERVAL_MS) / 1000)}s, Ctrl-C stops. ${isoSeconds(now)}`;
        const lines = fit([header, '', ...frame.lines], io.screen.size());
        io.screen.write(`${CURSOR.up(drawn)}${CURSOR.clearBelow}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else {
        const text = options.format === 'json' ? JSON.stringify(frame.json) : frame.lines.join('\n');
        if (text !== last) io.screen.write(options.format === 'json' ? `${text}\n` : `--- ${isoSeconds(now)}\n${text}\n`);
        last = text;
      }
      await io.sleep(options.intervalMs ?? WATCH_INTERVAL_MS, io.signal);
    }
  } finally {
    if (live) io.screen.write(CURSOR.show);
  }
}
