// When passes run: `--once` (one pass), `--for D` (passes until D has passed, as the CronJob runs
// it every minute with 55s), `--watch` (forever).
//
// Two kinds of pass, never two in one namespace at once (turns.ts):
//   - whole passes, over all of the stepper's namespaces, one after another: they find new
//     Canaries, new revisions and actions. After one ends the next starts when the earliest
//     resting canary is due, but never later than the poll interval;
//   - namespace passes: as each namespace's turn ends, the schedule learns when its runs under way
//     are next due, and passes that namespace alone then, while a whole pass may be running, a
//     few namespaces at once. A step that comes due is not late by a pass over 1,000 idle canaries.
// An abort (SIGTERM) stops the sleeps and keeps running passes from starting new canaries; the
// schedule returns when they have ended. A `--for` window ends between passes: none starts after it.
import { runPass } from './pass.js';
import { earlier, nextPassAt, Turns } from './turns.js';
import type { Due, PassOptions, PassReport, RunnerDeps } from './types.js';

export { nextPassAt } from './turns.js';

export type RunMode = { kind: 'once' } | { kind: 'for'; durationMs: number } | { kind: 'watch' };

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const MIN_GAP_MS = 1_000;
/**
 * Namespace passes at once, each holding one namespace's objects, beside a whole pass's
 * NAMESPACES_AT_ONCE: what bounds the memory and the concurrent LISTs of the schedule.
 */
export const NAMESPACE_PASSES_AT_ONCE = 2;

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
  /** Called after each pass (tests, the CLI's summary); `namespace` for a pass over one that came due. */
  onPass?: (report: PassReport, namespace?: string) => void;
}

export interface ScheduleReport {
  /** Whole passes. */
  passes: number;
  /** Passes over one namespace that came due. */
  namespacePasses: number;
  /** Passes that could not run at all (the Canaries could not be listed). */
  failedPasses: number;
  /** The last whole pass could not run. */
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

export async function runSchedule(deps: ScheduleDeps, options: ScheduleOptions): Promise<ScheduleReport> {
  const { mode, signal } = options;
  const poll = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const minGap = Math.min(options.minGapMs ?? MIN_GAP_MS, poll);
  const wait = deps.sleep ?? sleep;
  const nowMs = (): number => deps.clock().getTime();
  const endMs = mode.kind === 'for' ? nowMs() + mode.durationMs : Number.POSITIVE_INFINITY;
  const runner: RunnerDeps = { ...deps, reported: deps.reported ?? new Set() };
  const result: ScheduleReport = { passes: 0, namespacePasses: 0, failedPasses: 0, lastPassFailed: false, stoppedBy: 'done' };
  let wake = new AbortController();
  const turns = new Turns(nowMs, minGap, () => wake.abort());
  const base: PassOptions = { ...options.pass, ...(signal ? { signal } : {}) };

  let whole: Promise<void> | undefined;
  let nextWholeAt = nowMs();
  const startWhole = (): void => {
    let resting: Due = {};
    const passTurns = turns.forPass((_, end) => (resting = earlier(resting, end.resting)));
    const pass = runPass(runner, { ...base, turns: passTurns });
    whole = pass
      .then((report) => {
        result.lastPassFailed = false;
        deps.onPass?.(report);
      }, (error: unknown) => {
        deps.logger.error('pass failed', { error });
        result.failedPasses += 1;
        result.lastPassFailed = true;
      })
      .finally(() => {
        result.passes += 1;
        nextWholeAt = nextPassAt(nowMs(), resting, poll, minGap);
        whole = undefined;
        wake.abort();
      });
  };

  const passing = new Map<string, Promise<void>>();
  const startNamespace = (namespace: string): void => {
    turns.take(namespace);
    const pass = runPass(runner, { ...base, namespaces: [namespace], partial: true, turns: turns.forPass() });
    passing.set(namespace, pass
      .then((report) => deps.onPass?.(report, namespace), (error: unknown) => {
        // The namespace waits for the next whole pass.
        deps.logger.warn('namespace pass failed', { namespace, error });
        result.failedPasses += 1;
      })
      .finally(() => {
        result.namespacePasses += 1;
        passing.delete(namespace);
        wake.abort();
      }));
  };

  for (;;) {
    wake = new AbortController();
    if (signal?.aborted) break;
    const now = nowMs();
    const more = mode.kind !== 'once' || result.passes === 0;
    if (!whole && more && nextWholeAt <= now && now < endMs) startWhole();
    if (mode.kind !== 'once' && now < endMs) {
      for (const namespace of turns.dueBy(now, new Set(passing.keys()))) {
        if (passing.size >= NAMESPACE_PASSES_AT_ONCE) break;
        startNamespace(namespace);
      }
    }
    const at = nextStart(whole || !more ? Number.POSITIVE_INFINITY : nextWholeAt, mode.kind === 'once' || passing.size >= NAMESPACE_PASSES_AT_ONCE ? Number.POSITIVE_INFINITY : turns.earliest(new Set(passing.keys())), endMs);
    if (at === undefined && !whole && passing.size === 0) break;
    const until = signal ? AbortSignal.any([signal, wake.signal]) : wake.signal;
    // Nothing to start before the window ends (or a slot frees): a pass that ends, or a lock released, wakes the loop.
    await (at === undefined ? woken(until) : wait(at - now, until));
  }
  await Promise.allSettled([whole, ...passing.values()]);
  return { ...result, stoppedBy: signal?.aborted ? 'signal' : 'done' };
}

/** The earliest of the next starts, or undefined when none falls before the window's end. */
function nextStart(wholeAt: number, namespaceAt: number, endMs: number): number | undefined {
  const at = Math.min(wholeAt, namespaceAt);
  return at < endMs ? at : undefined;
}

const woken = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
