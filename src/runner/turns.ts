// Turns over namespaces, for the schedule (schedule.ts). A pass steps a namespace's canaries in
// that namespace's turn (pass.ts); here:
//   - one pass at a time in a namespace (a lock per namespace, taken in the order asked), so a
//     pass over the namespaces that came due never overlaps the whole pass in the same namespace;
//   - a pass skips a namespace where another pass began a turn after it began: that turn listed
//     the namespace's Canaries later than this pass could, so it saw what this pass would see;
//     a whole pass also skips one whose runs come due before the next whole pass would start;
//   - as each turn ends, when the namespace's runs under way are next due and how many canaries it
//     has, so the schedule can pass that namespace alone then, without waiting for a whole pass
//     over the others, as many namespaces at once as its budget of canaries allows;
//   - a namespace where a watch heard a change (nudge) is due at once, and stays due past a turn
//     that was under way when the change was heard.
// What is kept is a few numbers per namespace; no object outlives its turn.
import type { Due, NamespaceTurns, TurnEnd } from './types.js';

/**
 * When the next pass should start: when the earliest canary is due, to the millisecond (at once if
 * that moment passed while the pass ran), and no later than the poll interval. A canary that was
 * already due at its turn and is due still waits minGap, so it cannot spin the loop.
 */
export function nextPassAt(nowMs: number, report: Due | undefined, pollIntervalMs: number, minGapMs: number): number {
  let next = nowMs + pollIntervalMs;
  const due = report?.due === undefined ? Number.NaN : Date.parse(report.due);
  if (!Number.isNaN(due)) next = Math.min(next, Math.max(due, nowMs));
  if (report?.overdue) next = Math.min(next, nowMs + minGapMs);
  return next;
}

/** The earlier of two dues, overdue if either is. */
export function earlier(a: Due, b: Due): Due {
  const dues = [a.due, b.due].filter((d): d is string => d !== undefined);
  const due = dues.sort((x, y) => Date.parse(x) - Date.parse(y))[0];
  return { ...(due === undefined ? {} : { due }), ...(a.overdue || b.overdue ? { overdue: true } : {}) };
}

/** One lock per namespace, granted in the order asked; a namespace is busy while held or awaited. */
export class NamespaceLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly released: () => void = () => undefined) {}

  busy(namespace: string): boolean {
    return this.tails.has(namespace);
  }

  /** Resolves when the lock is this caller's, with the function that releases it. */
  async acquire(namespace: string): Promise<() => void> {
    const before = this.tails.get(namespace) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.tails.set(namespace, tail);
    await before;
    return () => {
      release();
      if (this.tails.get(namespace) === tail) this.tails.delete(namespace);
      this.released();
    };
  }
}

/** A namespace whose runs under way come due `at` (ms since the epoch); it had `canaries` at its last turn. */
export interface DueNamespace {
  namespace: string;
  at: number;
  canaries: number;
}

export class Turns {
  readonly locks: NamespaceLocks;
  /** Per namespace, when its runs under way are next due (ms since the epoch). */
  private readonly due = new Map<string, number>();
  /** Per namespace, when a watch heard of a change there (ms since the epoch), until a pass over it alone begins. */
  private readonly nudges = new Map<string, number>();
  /** Per namespace, its canaries at its last turn: what a pass over it alone will hold. */
  private readonly sizes = new Map<string, number>();
  /** Per namespace, the tick its last turn began at; passes start at ticks too. */
  private readonly began = new Map<string, number>();
  private tick = 0;

  /**
   * `changed` hears every turn's end (a namespace's due may have moved) and every lock released;
   * a turn that ends asking for a retry makes its namespace due `retryMs` later.
   */
  constructor(
    private readonly nowMs: () => number, private readonly minGapMs: number, changed: () => void,
    private readonly retryMs = Number.POSITIVE_INFINITY,
  ) {
    this.locks = new NamespaceLocks(changed);
  }

  /**
   * The turns of a pass that starts now; `ended` hears each of its turns' ends. With `leaveDueWithinMs`
   * (a whole pass), a namespace whose runs come due within that many ms of its turn is skipped
   * untouched: the pass over it alone, then, steps every canary there, and the whole pass would
   * only hold its lock when it comes due.
   */
  forPass(ended?: (namespace: string, end: TurnEnd) => void, leaveDueWithinMs?: number): NamespaceTurns {
    const start = ++this.tick;
    return {
      begin: async (namespace) => {
        const at = this.dueAt(namespace);
        const soon = leaveDueWithinMs !== undefined && at !== undefined && at <= this.nowMs() + leaveDueWithinMs;
        if (soon) return undefined;
        const release = await this.locks.acquire(namespace);
        if ((this.began.get(namespace) ?? 0) > start) {
          release();
          return undefined;
        }
        this.began.set(namespace, ++this.tick);
        return (end) => {
          const retry = end.retry ? this.nowMs() + this.retryMs : Number.POSITIVE_INFINITY;
          const next = Math.min(nextPassAt(this.nowMs(), end.running, Number.POSITIVE_INFINITY, this.minGapMs), retry);
          if (Number.isFinite(next)) this.due.set(namespace, next);
          else this.due.delete(namespace);
          this.sizes.set(namespace, end.canaries);
          ended?.(namespace, end);
          release();
        };
      },
    };
  }

  /** The namespace is being passed alone: its due is taken until its turn ends. */
  take(namespace: string): void {
    this.due.delete(namespace);
    this.nudges.delete(namespace);
  }

  /**
   * Something changed in the namespace (a watch heard it): it is due now. A change heard while a pass
   * is in it is kept past that pass's turn, since the pass may have listed before the change.
   */
  nudge(namespace: string): void {
    if (!this.nudges.has(namespace)) this.nudges.set(namespace, this.nowMs());
  }

  private dueAt(namespace: string): number | undefined {
    const due = this.due.get(namespace);
    const nudged = this.nudges.get(namespace);
    if (due === undefined) return nudged;
    return nudged === undefined ? due : Math.min(due, nudged);
  }

  /** Namespaces due at `nowMs` that no pass is in (nor in `passing`), earliest first, with their canaries. */
  dueBy(nowMs: number, passing: ReadonlySet<string>): DueNamespace[] {
    return this.waiting(passing).filter((d) => d.at <= nowMs).sort((a, b) => a.at - b.at);
  }

  /**
   * The next namespace that no pass is in (nor in `passing`) to come due, or undefined; a busy one
   * is looked at again when its lock is released.
   */
  earliest(passing: ReadonlySet<string>): DueNamespace | undefined {
    let next: DueNamespace | undefined;
    for (const d of this.waiting(passing)) if (next === undefined || d.at < next.at) next = d;
    return next;
  }

  private waiting(passing: ReadonlySet<string>): DueNamespace[] {
    const namespaces = new Set([...this.due.keys(), ...this.nudges.keys()]);
    return [...namespaces]
      .filter((ns) => !this.locks.busy(ns) && !passing.has(ns))
      .map((namespace) => ({ namespace, at: this.dueAt(namespace)!, canaries: this.sizes.get(namespace) ?? 0 }));
  }
}
