/** The newest decisions of a log that pass a filter, read backwards from its end, each joined with its outcome. */
import { open, type FileHandle } from 'node:fs/promises';
import { ToolgateError } from '../errors.js';
import { decisionLineSchema, outcomeLineSchema, type DecisionLine } from '../log/lines.js';
import { matches, type ReviewFilter } from '../log/review.js';

/** How far back to look. */
export interface RecentLimits {
  /** The most decisions to return. */
  readonly decisions: number;
  /** The most bytes to read, counted back from the end of the log. */
  readonly bytes: number;
}

/** The console's window: the newest 500 matching decisions within the last 16 MiB of the log. */
export const CONSOLE_LIMITS: RecentLimits = { decisions: 500, bytes: 16 * 1024 * 1024 };

/** What a backwards read found. */
export interface RecentDecisions {
  /** Newest first; `outcome`/`latency_ms` filled in from outcome lines. */
  readonly decisions: readonly DecisionLine[];
  /** True when the limits stopped the read before the start of the log (older decisions exist). */
  readonly truncated: boolean;
  /** Bytes read. */
  readonly bytesRead: number;
}

const CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads the log at `path` backwards from its current end (ignoring a line still being written)
 * and returns the newest decisions that pass `filter`, with their outcomes. Outcome lines come
 * after their decision, so reading backwards meets them first. With `filter.since`, stops at
 * the first older decision (the log is in time order). Throws `TG_FILE_NOT_FOUND` when there is
 * no log, `TG_LOG_FAILED` when it cannot be read.
 */
export async function readRecentDecisions(path: string, filter: ReviewFilter, limits: RecentLimits = CONSOLE_LIMITS): Promise<RecentDecisions> {
  const handle = await openLog(path);
  try {
    const size = (await handle.stat()).size;
    const found: DecisionLine[] = [];
    const outcomes = new Map<string, { outcome: DecisionLine['outcome']; latency_ms: number }>();
    const floor = Math.max(0, size - limits.bytes);
    let pos = size;
    // Bytes before `pos` not yet split into lines: the start of a line whose end was read already.
    let carry = Buffer.alloc(0);
    let first = true;
    let done = false;
    while (pos > floor && !done) {
      const from = Math.max(floor, pos - CHUNK);
      const chunk = Buffer.alloc(pos - from);
      await readAt(handle, chunk, from);
      pos = from;
      const buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      // buf[0, end) is not yet taken apart and ends where a line ends. On the first pass that is
      // the last newline: whatever follows it is a line still being written.
      let end = buf.length;
      if (first) {
        end = Math.max(0, buf.lastIndexOf(NEWLINE));
        first = false;
      }
      carry = Buffer.alloc(0);
      for (;;) {
        // lastIndexOf with a negative offset would count from the end: guard the empty range.
        const nl = end === 0 ? -1 : buf.lastIndexOf(NEWLINE, end - 1);
        if (nl < 0 && pos > 0) {
          // The line's start lies before this chunk.
          carry = Buffer.from(buf.subarray(0, end));
          break;
        }
        if (end > nl + 1 && !take(buf.toString('utf8', nl + 1, end))) {
          done = true;
          break;
        }
        if (nl < 0) break;
        end = nl;
      }
    }
    return { decisions: found, truncated: done ? found.length >= limits.decisions : pos > 0, bytesRead: size - pos };

    // One complete line, newest first; false to stop.
    function take(text: string): boolean {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return true;
      }
      const type = (value as { type?: unknown } | null)?.type;
      if (type === 'outcome') {
        const o = outcomeLineSchema.safeParse(value);
        if (o.success) outcomes.set(o.data.id, { outcome: o.data.outcome, latency_ms: o.data.latency_ms });
        return true;
      }
      if (type !== 'decision' || !decisionLineSchema.safeParse(value).success) return true;
      // The line as stored (zod's output would reorder its keys).
      const d = value as DecisionLine;
      if (filter.since !== undefined && Date.parse(d.time) < filter.since) return false;
      if (!matches(filter, d)) return true;
      const o = outcomes.get(d.id);
      if (o) outcomes.delete(d.id);
      found.push(o ? { ...d, outcome: o.outcome, latency_ms: o.latency_ms } : d);
      return found.length < limits.decisions;
    }
  } finally {
    await handle.close();
  }
}

async function openLog(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ToolgateError('TG_FILE_NOT_FOUND', `no decision log at ${path}`, { details: { file: path } });
    }
    throw failed(e);
  }
}

async function readAt(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, done, buf.length - done, position + done));
    } catch (e) {
      throw failed(e);
    }
    if (bytesRead === 0) throw failed(new Error('the log got shorter while it was read'));
    done += bytesRead;
  }
}

function failed(e: unknown): ToolgateError {
  return new ToolgateError('TG_LOG_FAILED', `cannot read the decision log: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
}
