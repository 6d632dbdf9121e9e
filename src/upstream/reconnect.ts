/** When to try an unavailable upstream again: exponential backoff with a ceiling, reset on success. */

/** Backoff bounds in milliseconds. */
export interface BackoffOptions {
  /** The wait before the first retry. */
  readonly initialMs: number;
  /** The longest wait between two retries. */
  readonly maxMs: number;
}

/** 0.5 s, doubling, at most 30 s between attempts. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** The wait before retry number `attempt` (0 for the first retry): `initialMs · 2^attempt`, capped at `maxMs`. Pure. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, Math.floor(attempt));
  // 2^31 already exceeds any sensible ceiling; stop growing before the number loses meaning.
  const factor = 2 ** Math.min(exponent, 31);
  return Math.min(options.maxMs, options.initialMs * factor);
}

/**
 * One upstream's retry schedule. `schedule(fn)` runs `fn` after the next delay (one timer at a time,
 * unref'd so it never holds the process open); `succeeded()` starts the schedule over; `cancel()`
 * drops a pending retry.
 */
export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options;
  }

  /** True while a retry is waiting to run. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Schedules `fn` after the next delay and returns that delay; a retry already pending is kept. */
  schedule(fn: () => void): number {
    const delay = backoffDelay(this.#attempt, this.#options);
    if (this.#timer !== undefined) return delay;
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      fn();
    }, delay);
    this.#timer.unref();
    return delay;
  }

  /** A connection succeeded: the next failure waits `initialMs` again. */
  succeeded(): void {
    this.#attempt = 0;
  }

  /** Drops a pending retry. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
