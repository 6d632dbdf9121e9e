/** Reviewing the log: filters on decisions, and each decision joined with its outcome line, in log order. */
import type { LineHandler } from './read.js';
import { decisionLineSchema, outcomeLineSchema, recoveryLineSchema, type DecisionLine, type OutcomeLine, type RecoveryLine } from './lines.js';

/** Which decisions to show; every field set must match. */
export interface ReviewFilter {
  readonly decision?: 'allow' | 'deny' | 'challenge';
  /** A tool name (`read_text_file`) or `server/tool`. */
  readonly tool?: string;
  readonly principal?: string;
  /** Only decisions at or after this time (ms since the epoch). */
  readonly since?: number;
}

/**
 * What a review shows, in log order: a decision with `outcome`/`latency_ms` filled in from its
 * outcome line when there is one; an outcome that came after its decision was already shown
 * (a slow call while following); a recovery line (only when no filter is set).
 */
export type ReviewItem =
  | { readonly kind: 'decision'; readonly line: number; readonly record: DecisionLine }
  | { readonly kind: 'outcome'; readonly line: number; readonly record: OutcomeLine; readonly decision: DecisionLine }
  | { readonly kind: 'recovery'; readonly line: number; readonly record: RecoveryLine };

/** True when the filter lets `d` through. */
export function matches(filter: ReviewFilter, d: DecisionLine): boolean {
  if (filter.decision !== undefined && d.decision !== filter.decision) return false;
  if (filter.principal !== undefined && d.principal !== filter.principal) return false;
  if (filter.tool !== undefined) {
    const slash = filter.tool.indexOf('/');
    if (slash >= 0 ? `${d.server}/${d.tool}` !== filter.tool : d.tool !== filter.tool) return false;
  }
  if (filter.since !== undefined) {
    const at = Date.parse(d.time);
    if (!(at >= filter.since)) return false;
  }
  return true;
}

interface Pending {
  readonly line: number;
  record: DecisionLine;
  done: boolean;
}

/**
 * Joins decisions with their outcome lines and hands them to `emit` in log order. A decision
 * that expects an outcome (it has a receipt: the call was forwarded) waits for it, at most
 * `windowLines` lines; one that does not (deny, challenge) goes out as soon as those before it
 * have. `flush` sends everything still waiting (end of file). In `live` mode (following) nothing
 * waits: an outcome that arrives later is sent as its own item.
 */
export class OutcomeJoiner {
  private readonly filter: ReviewFilter;
  private readonly emit: (item: ReviewItem) => void;
  private readonly windowLines: number;
  private readonly queue: Pending[] = [];
  private head = 0;
  private readonly waiting = new Map<string, Pending>();
  // Decisions already shown without their outcome; their outcome is shown on its own.
  private readonly shownPending = new Map<string, DecisionLine>();
  private readonly unfiltered: boolean;
  /** Lines that are not valid log lines of a known type. */
  unreadable = 0;
  /** Lines handed to `onLine` so far. */
  lines = 0;

  /** A `readLines` / `followLines` handler: parses each line and pushes it; lines that are not JSON count as `unreadable`. */
  readonly onLine: LineHandler = (buf, start, end) => {
    this.lines++;
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      this.unreadable++;
      return;
    }
    this.push(value, this.lines);
  };
  /** When set, decisions are sent at once and late outcomes as their own items. */
  live = false;

  constructor(filter: ReviewFilter, emit: (item: ReviewItem) => void, windowLines = 50_000) {
    this.filter = filter;
    this.emit = emit;
    this.windowLines = windowLines;
    this.unfiltered = Object.values(filter).every((v) => v === undefined);
  }

  /** Takes one parsed line (`line` is its 1-based number). */
  push(value: unknown, line: number): void {
    const type = (value as { type?: unknown } | null)?.type;
    if (type === 'decision') {
      if (!decisionLineSchema.safeParse(value).success) return void this.unreadable++;
      // The line as stored (zod's output would reorder its keys).
      const record = value as DecisionLine;
      if (!matches(this.filter, record)) return;
      const pending: Pending = { line, record, done: record.receipt === null || this.live };
      this.queue.push(pending);
      if (!pending.done) this.waiting.set(record.id, pending);
    } else if (type === 'outcome') {
      if (!outcomeLineSchema.safeParse(value).success) return void this.unreadable++;
      const record = value as OutcomeLine;
      const pending = this.waiting.get(record.id);
      if (pending) {
        this.waiting.delete(record.id);
        pending.record = { ...pending.record, outcome: record.outcome, latency_ms: record.latency_ms };
        pending.done = true;
      } else {
        const shown = this.shownPending.get(record.id);
        if (shown) {
          this.shownPending.delete(record.id);
          this.emit({ kind: 'outcome', line, record, decision: shown });
        }
      }
    } else if (type === 'recovery') {
      if (!recoveryLineSchema.safeParse(value).success) return void this.unreadable++;
      if (this.unfiltered) {
        this.drain(Number.POSITIVE_INFINITY);
        this.emit({ kind: 'recovery', line, record: value as RecoveryLine });
      }
    } else if (type !== 'checkpoint') {
      this.unreadable++;
    }
    this.drain(line);
  }

  /** Sends every decision still waiting, without its outcome (it may come later: see `live`). */
  flush(): void {
    this.drain(Number.POSITIVE_INFINITY);
  }

  private drain(line: number): void {
    while (this.head < this.queue.length) {
      const first = this.queue[this.head] as Pending;
      if (!first.done && !this.live && line - first.line < this.windowLines) break;
      this.head++;
      if (!first.done) this.waiting.delete(first.record.id);
      if (first.record.outcome === null && first.record.receipt !== null) this.shownPending.set(first.record.id, first.record);
      this.emit({ kind: 'decision', line: first.line, record: first.record });
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
