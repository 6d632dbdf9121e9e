/** Closes sessions nobody uses: no request under way and no stream open for `idleMs`. */
import { parseDuration } from '../duration.js';

/** How long an HTTP session may sit unused before it is closed, unless `TOOLGATE_SESSION_IDLE` says otherwise. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;

/** The idle limit from `TOOLGATE_SESSION_IDLE` (a duration such as `90s` or `1h`), else the default. */
export function sessionIdleMs(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.TOOLGATE_SESSION_IDLE;
  const ms = set === undefined ? undefined : parseDuration(set);
  return ms !== undefined && ms > 0 ? ms : DEFAULT_SESSION_IDLE_MS;
}

interface Tracked {
  readonly close: () => unknown;
  busy: number;
  since: number;
}

/**
 * Tracks sessions by id. A session is busy while any of its requests or streams is open
 * (`begin`/`end`), idle from the moment the last one ends; `sweep` closes those idle for
 * `idleMs` or longer. A timer sweeps on its own (unref'd) until `stop`.
 */
export class IdleReaper {
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Tracked>();
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(idleMs: number, options: { now?: () => number; sweep?: boolean } = {}) {
    this.#idleMs = idleMs;
    this.#now = options.now ?? Date.now;
    if (options.sweep !== false) {
      this.#timer = setInterval(() => this.sweep(), Math.min(60_000, Math.max(50, Math.floor(idleMs / 4))));
      this.#timer.unref();
    }
  }

  /** Starts watching a session; `close` ends it when it has been idle too long. */
  track(id: string, close: () => unknown): void {
    this.#sessions.set(id, { close, busy: 0, since: this.#now() });
  }

  /** A request or stream of the session opened. */
  begin(id: string): void {
    const s = this.#sessions.get(id);
    if (s) s.busy += 1;
  }

  /** A request or stream of the session closed. */
  end(id: string): void {
    const s = this.#sessions.get(id);
    if (!s) return;
    s.busy = Math.max(0, s.busy - 1);
    s.since = this.#now();
  }

  /** Stops watching (the session ended on its own). */
  forget(id: string): void {
    this.#sessions.delete(id);
  }

  /** Closes every session idle for `idleMs` or longer; returns their ids. */
  sweep(): string[] {
    const now = this.#now();
    const reaped: string[] = [];
    for (const [id, s] of this.#sessions) {
      if (s.busy > 0 || now - s.since < this.#idleMs) continue;
      this.#sessions.delete(id);
      reaped.push(id);
      try {
        Promise.resolve(s.close()).catch(() => undefined);
      } catch {
        // A session that fails to close is gone from here either way.
      }
    }
    return reaped;
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
