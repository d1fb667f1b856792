// When passes run: `--once` (one pass), `--for D` (passes until D has passed, as the CronJob runs
// it every minute with 55s), `--watch` (forever).
//
// Two kinds of pass, never two in one namespace at once (turns.ts):
//   - whole passes, over all of the stepper's namespaces, one after another: they find new
//     Canaries, new revisions and actions. After one ends the next starts when the earliest
//     resting canary is due, but never later than the poll interval;
//   - namespace passes: as each namespace's turn ends, the schedule learns when its runs under way
//     are next due, and passes that namespace alone then, while a whole pass may be running, as
//     many namespaces at once as hold at most NAMESPACE_PASS_CANARIES canaries (one at least). A step
//     that comes due is not late by a pass over 1,000 idle canaries, nor by the passes over other
//     namespaces that came due in the same second.
// With a change feed (changes.ts: watches on Canaries and canaried workloads), what changes in a
// namespace (a new revision held, a spec edited, an action) is passed there at once, and while
// every watch runs the whole passes come every resync period instead: they look again at resting
// canaries for what no watch sees (a tracked ConfigMap or Secret changed, drift in Davy's objects).
// A watch that missed events asks for a whole pass at once; one that cannot run brings back the
// poll interval.
// An abort (SIGTERM) stops the sleeps and keeps running passes from starting new canaries; the
// schedule returns when they have ended. A `--for` window ends between passes: none starts after it.
import type { ChangeListener, ChangeSource } from './changes.js';
import { sleep } from '../lib/sleep.js';
import { runPass } from './pass.js';
import { earlier, nextPassAt, Turns, type DueNamespace } from './turns.js';
import type { Due, PassOptions, PassReport, RunnerDeps, TurnEnd } from './types.js';

export { nextPassAt } from './turns.js';
export { sleep } from '../lib/sleep.js';

export type RunMode = { kind: 'once' } | { kind: 'for'; durationMs: number } | { kind: 'watch' };

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_RESYNC_MS = 60_000;
export const MIN_GAP_MS = 1_000;
/**
 * The canaries of the namespaces passed alone at once (as counted at each one's last turn), beside
 * a whole pass's NAMESPACES_AT_ONCE: each such pass holds its namespace's objects, so this bounds
 * the memory and the concurrent LISTs of the schedule. A namespace larger than this is passed when
 * it is the only one. Two namespaces at once were the bound before; then ten namespaces of ten
 * canaries promoting in the same second waited for each other, the last 2.2 s (BENCHMARKS.md,
 * "Step lateness").
 */
export const NAMESPACE_PASS_CANARIES = 200;

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
  /** The canaries the namespace passes hold at once (default NAMESPACE_PASS_CANARIES). */
  namespacePassCanaries?: number;
  /** Watches that tell what changed; not for --once. */
  changes?: ChangeSource;
  /** The longest sleep between whole passes while every watch of `changes` runs (default 60s). */
  resyncMs?: number;
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

export function runSchedule(deps: ScheduleDeps, options: ScheduleOptions): Promise<ScheduleReport> {
  return new Schedule(deps, options).run();
}

class Schedule {
  private readonly poll: number;
  private readonly minGap: number;
  private readonly endMs: number;
  private readonly runner: RunnerDeps;
  private readonly base: PassOptions;
  private readonly turns: Turns;
  private readonly result: ScheduleReport = { passes: 0, namespacePasses: 0, failedPasses: 0, lastPassFailed: false, stoppedBy: 'done' };
  /** Aborted by whatever may move the next start: a pass or a turn that ends, a lock released. */
  private wake = new AbortController();
  private whole: Promise<void> | undefined;
  private wholeEndedAt: number | undefined;
  /** When the resting canaries are next due, from every turn since the last whole pass began. */
  private resting: Due = {};
  /** The namespaces passed alone now: each one's canaries at its last turn, and its pass. */
  private readonly passing = new Map<string, { canaries: number; done: Promise<void> }>();
  private readonly budget: number;
  /** A watch missed events: the next whole pass starts as soon as none runs. */
  private wholeNow = false;

  constructor(private readonly deps: ScheduleDeps, private readonly options: ScheduleOptions) {
    this.poll = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.minGap = Math.min(options.minGapMs ?? MIN_GAP_MS, this.poll);
    this.budget = options.namespacePassCanaries ?? NAMESPACE_PASS_CANARIES;
    this.endMs = options.mode.kind === 'for' ? this.nowMs() + options.mode.durationMs : Number.POSITIVE_INFINITY;
    this.runner = { ...deps, reported: deps.reported ?? new Set() };
    this.base = { ...options.pass, ...(options.signal ? { signal: options.signal } : {}) };
    // A namespace whose canaries could not be stepped is passed again at the poll interval.
    this.turns = new Turns(() => this.nowMs(), this.minGap, () => this.wake.abort(), this.poll);
  }

  async run(): Promise<ScheduleReport> {
    const { mode, signal } = this.options;
    const wait = this.deps.sleep ?? sleep;
    // A stop wakes the loop as a pass's end does (one listener for the whole run).
    const stop = (): void => this.wake.abort();
    signal?.addEventListener('abort', stop, { once: true });
    const watching = new AbortController();
    const feed = mode.kind === 'once'
      ? undefined
      : this.options.changes?.start(this.listener, watching.signal)
        .catch((error: unknown) => this.deps.logger.warn('the watches stopped with an error', { error }));
    for (;;) {
      this.wake = new AbortController();
      if (signal?.aborted) break;
      const now = this.nowMs();
      const open = now < this.endMs;
      if (open && this.wholeAt() <= now) this.startWhole();
      if (open && mode.kind !== 'once') {
        // Earliest first; one that does not fit waits for a pass to end, and those after it too.
        for (const due of this.turns.dueBy(now, new Set(this.passing.keys()))) {
          if (!this.fits(due)) break;
          this.startNamespace(due);
        }
      }
      // Once the window has closed nothing starts, however overdue: the loop waits for the passes to end.
      // While it is open, what the watches hear may start a pass: the loop waits for the window's end.
      const next = open ? Math.min(this.wholeAt(), this.namespaceAt()) : Number.POSITIVE_INFINITY;
      const listening = feed !== undefined && open;
      if (next >= this.endMs && !listening && !this.whole && this.passing.size === 0) break;
      // Nothing to start before the window ends, or no slot free: a pass that ends, a lock released,
      // or a change heard wakes the loop.
      const at = listening ? Math.min(next, this.endMs) : next;
      const timed = Number.isFinite(at) && (listening || at < this.endMs);
      await (timed ? wait(at - now, this.wake.signal) : woken(this.wake.signal));
    }
    signal?.removeEventListener('abort', stop);
    await Promise.allSettled([this.whole, ...[...this.passing.values()].map((p) => p.done)]);
    watching.abort();
    await feed;
    return { ...this.result, stoppedBy: signal?.aborted ? 'signal' : 'done' };
  }

  private nowMs(): number {
    return this.deps.clock().getTime();
  }

  /** When the next whole pass starts: at once the first time, never while one runs, once for --once. */
  private wholeAt(): number {
    if (this.whole || (this.options.mode.kind === 'once' && this.result.passes > 0)) return Number.POSITIVE_INFINITY;
    if (this.wholeEndedAt === undefined || this.wholeNow) return this.nowMs();
    // While the watches run, resting canaries have nothing new but what they cannot see; a whole pass
    // that failed is tried again at the poll interval.
    if (this.options.changes?.healthy() && !this.result.lastPassFailed) {
      return this.wholeEndedAt + (this.options.resyncMs ?? DEFAULT_RESYNC_MS);
    }
    return nextPassAt(this.wholeEndedAt, this.resting, this.poll, this.minGap);
  }

  private readonly listener: ChangeListener = {
    namespace: (namespace) => {
      this.turns.nudge(namespace);
      this.wake.abort();
    },
    gap: () => {
      this.wholeNow = true;
      this.wake.abort();
    },
  };

  /**
   * When the next namespace pass starts; none for --once, nor while the next one does not fit (the
   * end of a pass wakes the loop).
   */
  private namespaceAt(): number {
    if (this.options.mode.kind === 'once') return Number.POSITIVE_INFINITY;
    const next = this.turns.earliest(new Set(this.passing.keys()));
    return next && this.fits(next) ? next.at : Number.POSITIVE_INFINITY;
  }

  /** Whether a pass over this namespace keeps the namespace passes within their canaries. */
  private fits(due: DueNamespace): boolean {
    let held = 0;
    for (const p of this.passing.values()) held += p.canaries;
    return this.passing.size === 0 || held + due.canaries <= this.budget;
  }

  private readonly turnEnded = (_namespace: string, end: TurnEnd): void => {
    this.resting = earlier(this.resting, end.resting);
  };

  private startWhole(): void {
    this.resting = {};
    this.wholeNow = false;
    // A namespace due before the next whole pass would start is its own pass's: this one skips it.
    const pass = runPass(this.runner, { ...this.base, turns: this.turns.forPass(this.turnEnded, this.poll) });
    this.whole = pass
      .then((report) => {
        this.result.lastPassFailed = false;
        this.deps.onPass?.(report);
      }, (error: unknown) => {
        this.deps.logger.error('pass failed', { error });
        this.result.failedPasses += 1;
        this.result.lastPassFailed = true;
      })
      .finally(() => {
        this.result.passes += 1;
        this.wholeEndedAt = this.nowMs();
        this.whole = undefined;
        this.wake.abort();
      });
  }

  private startNamespace({ namespace, canaries }: DueNamespace): void {
    this.turns.take(namespace);
    const turns = this.turns.forPass(this.turnEnded);
    const pass = runPass(this.runner, { ...this.base, namespaces: [namespace], partial: true, turns });
    const done = pass
      .then((report) => this.deps.onPass?.(report, namespace), (error: unknown) => {
        // The namespace waits for the next whole pass.
        this.deps.logger.warn('namespace pass failed', { namespace, error });
        this.result.failedPasses += 1;
      })
      .finally(() => {
        this.result.namespacePasses += 1;
        this.passing.delete(namespace);
        this.wake.abort();
      });
    this.passing.set(namespace, { canaries, done });
  }
}

const woken = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
