/** Single use of a receipt's `jti`: the replay-cache interface and its in-memory default. */
import { CLOCK_SKEW_SECONDS } from './skew.js';

/**
 * Remembers receipt ids until their receipts can no longer verify. Plug in a shared store
 * (Redis, SQLite) to refuse a receipt replayed against another replica.
 */
export interface ReplayCache {
  /**
   * Records `jti` as used. Returns true the first time, false when it was already recorded.
   * `expiresAt` is the receipt's `exp` (seconds since the epoch); the entry may be forgotten
   * once `expiresAt + CLOCK_SKEW_SECONDS` has passed. Must be atomic (check and set in one step).
   */
  add(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

/** An in-process replay cache; expired ids are swept at most once a second. */
export class MemoryReplayCache implements ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;
  #lastSweep = 0;

  /** `now` returns milliseconds since the epoch (tests pass a fixed clock). */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.#seen.size;
  }

  add(jti: string, expiresAt: number): boolean {
    const now = this.#now();
    if (now - this.#lastSweep >= 1000) this.#sweep(now);
    const forgetAt = (expiresAt + CLOCK_SKEW_SECONDS) * 1000;
    const known = this.#seen.get(jti);
    if (known !== undefined && known > now) return false;
    this.#seen.set(jti, forgetAt);
    return true;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [jti, forgetAt] of this.#seen) if (forgetAt <= now) this.#seen.delete(jti);
  }
}
