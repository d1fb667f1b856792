// When passes run: `--once` (one pass), `--for D` (passes until D has passed, as the CronJob runs
// it every minute with 55s), `--watch` (forever). Between passes the runner sleeps until the
// earliest canary is due, so analysis intervals shorter than the CronJob's minute are honoured,
// but never longer than the poll interval, so new revisions, actions and Canaries are seen soon.
// An abort (SIGTERM) stops the sleep and keeps a running pass from starting new canaries.
import { runPass } from './pass.js';
import type { PassOptions, PassReport, RunnerDeps } from './types.js';

export type RunMode = { kind: 'once' } | { kind: 'for'; durationMs: number } | { kind: 'watch' };

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const MIN_GAP_MS = 1_000;

export interface ScheduleOptions {
  mode: RunMode;
  pass?: Omit<PassOptions, 'signal'>;
  /** The longest sleep between passes (default 10s). */
  pollIntervalMs?: number;
  /**
   * The sleep before a pass when a canary was due at its turn and is due still (default 1s), so it cannot spin the
   * loop.
   */
  minGapMs?: number;
  signal?: AbortSignal;
}

export interface ScheduleDeps extends RunnerDeps {
  /** Resolves after `ms`, or as soon as `signal` aborts; tests move a fake clock instead. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called after each pass (tests, the CLI's summary). */
  onPass?: (report: PassReport) => void;
}

export interface ScheduleReport {
  passes: number;
  /** Passes that could not run at all (the Canaries could not be listed). */
  failedPasses: number;
  lastPassFailed: boolean;
  stoppedBy: 'done' | 'signal';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * When the next pass should start: when the earliest canary is due, to the millisecond (at once if
 * that moment passed while the pass ran), and no later than the poll interval. A canary that was
 * already due at its turn and is due still waits minGap, so it cannot spin the loop.
 */
export function nextPassAt(
  nowMs: number,
  report: PassReport | undefined,
  pollIntervalMs: number,
  minGapMs: number,
): number {
  let next = nowMs + pollIntervalMs;
  const due = report?.due === undefined ? Number.NaN : Date.parse(report.due);
  if (!Number.isNaN(due)) next = Math.min(next, Math.max(due, nowMs));
  if (report?.overdue) next = Math.min(next, nowMs + minGapMs);
  return next;
}

export async function runSchedule(deps: ScheduleDeps, options: ScheduleOptions): Promise<ScheduleReport> {
  const { mode, signal } = options;
  const poll = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const minGap = Math.min(options.minGapMs ?? MIN_GAP_MS, poll);
  const wait = deps.sleep ?? sleep;
  const endMs = mode.kind === 'for' ? deps.clock().getTime() + mode.durationMs : Number.POSITIVE_INFINITY;
  const runner: RunnerDeps = { ...deps, reported: deps.reported ?? new Set() };
  const result: ScheduleReport = { passes: 0, failedPasses: 0, lastPassFailed: false, stoppedBy: 'done' };
  for (;;) {
    let report: PassReport | undefined;
    try {
      report = await runPass(runner, { ...options.pass, ...(signal ? { signal } : {}) });
      result.lastPassFailed = false;
      deps.onPass?.(report);
    } catch (error) {
      deps.logger.error('pass failed', { error });
      result.failedPasses += 1;
      result.lastPassFailed = true;
    }
    result.passes += 1;
    if (signal?.aborted) return { ...result, stoppedBy: 'signal' };
    if (mode.kind === 'once') return result;
    const now = deps.clock().getTime();
    const next = nextPassAt(now, report, poll, minGap);
    // A window ends between passes: the next CronJob run takes over.
    if (next >= endMs) return result;
    await wait(next - now, signal);
    if (signal?.aborted) return { ...result, stoppedBy: 'signal' };
  }
}
