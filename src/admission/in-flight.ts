// A bound on the webhook's in-flight work (issue 11, finding 6). Every review holds its body, the
// body as text, and the parsed object until it is answered: several times the body's size for a
// large review. Unbounded, 100 concurrent 4 MB reviews took the process past 500 MiB against its
// pod's 256Mi limit, and an OOMKilled webhook with failurePolicy Fail refuses every update of a
// canaried workload.
//
// So a review reserves its declared size before its body is read. One that does not fit waits, its
// body unread (TCP holds the client back, the bytes stay in the kernel), in a FIFO queue of bounded
// length, for at most `waitMs`; past either bound it is answered at once with a JSON 429 and
// Retry-After, and the apiserver's caller retries.

/** 8 MiB of bodies being read and parsed at once: two of the largest reviews, or hundreds of ordinary ones. */
export const DEFAULT_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Reviews waiting for room, whatever their size (each holds a socket and a request). */
export const DEFAULT_MAX_WAITING = 256;
/** How long a review may wait for room: well inside the apiserver's timeoutSeconds (10 s). */
export const DEFAULT_WAIT_MS = 5_000;

export interface InFlightLimits {
  bytes: number;
  maxWaiting: number;
  waitMs: number;
}

export const DEFAULT_IN_FLIGHT_LIMITS: InFlightLimits = { bytes: DEFAULT_IN_FLIGHT_BYTES, maxWaiting: DEFAULT_MAX_WAITING, waitMs: DEFAULT_WAIT_MS };

export type Reservation = { release: () => void } | { refused: string };

interface Waiter {
  bytes: number;
  grant: (reservation: Reservation) => void;
  timer: NodeJS.Timeout;
}

export class InFlightBudget {
  private bytes = 0;
  private reviews = 0;
  private readonly waiting: Waiter[] = [];
  private peakBytes = 0;

  constructor(readonly limits: InFlightLimits = DEFAULT_IN_FLIGHT_LIMITS) {}

  /**
   * Reserves `bytes`, at once or after a wait; resolves with the release function (idempotent) or
   * the reason for a refusal. A review larger than the whole budget is admitted when nothing else
   * is in flight, so the largest legal review can always be answered.
   */
  acquire(bytes: number): Promise<Reservation> {
    if (this.waiting.length === 0 && this.fits(bytes)) return Promise.resolve(this.take(bytes));
    if (this.waiting.length >= this.limits.maxWaiting) {
      return Promise.resolve({ refused: `${this.waiting.length} reviews are already waiting for the webhook's memory bound; retry shortly` });
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        bytes,
        grant: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          resolve({ refused: `waited ${this.limits.waitMs} ms for the webhook's memory bound (${this.limits.bytes} bytes of reviews in flight); retry shortly` });
        }, this.limits.waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** The most bytes in flight at once so far (tests read it). */
  peak(): number {
    return this.peakBytes;
  }

  private fits(bytes: number): boolean {
    return this.reviews === 0 || this.bytes + bytes <= this.limits.bytes;
  }

  private take(bytes: number): Reservation {
    this.bytes += bytes;
    this.reviews += 1;
    this.peakBytes = Math.max(this.peakBytes, this.bytes);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.bytes -= bytes;
        this.reviews -= 1;
        this.admitWaiting();
      },
    };
  }

  /** First come, first served: the head of the queue goes first, and the rest wait behind it. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      next.grant(this.take(next.bytes));
    }
  }
}
