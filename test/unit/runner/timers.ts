// Fake timers over the world's FakeClock, for the schedule's tests: a sleep is a timer at a moment
// of the fake clock, and the clock moves to the next timer only when nothing else can run, so
// passes that overlap take the fake time their (slowed) requests take, and no more.
import type { FakeClock } from './world.js';
import { flush } from './world.js';

interface Timer {
  at: number;
  fire: () => void;
}

/** Rounds of setImmediate that let everything not waiting on a timer run (MemoryKube answers, passes' awaits). */
const SETTLE_ROUNDS = 20;

export class FakeTimers {
  private timers: Timer[] = [];

  constructor(private readonly clock: FakeClock) {}

  /** The schedule's sleep: resolves at clock + ms, or at once when `signal` aborts. */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer: Timer = {
        at: this.clock.ms + ms,
        fire: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
      };
      const cancel = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', cancel, { once: true });
    });
  };

  /** Calls `fn` when the fake clock reaches `at` (a test's own event: a stop, a user's change). */
  at(at: number, fn: () => void): void {
    this.timers.push({ at, fire: fn });
  }

  /** Runs `work` to its end, moving the clock to the next timer whenever nothing else can run. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(() => (done = true), () => (done = true));
    while (!done) {
      for (let i = 0; i < SETTLE_ROUNDS && !done; i += 1) await flush();
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) throw new Error('the schedule waits on nothing: no timer left and the work is not done');
      this.clock.ms = Math.max(this.clock.ms, next.at);
      next.fire();
    }
    return work;
  }
}
