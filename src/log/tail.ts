/** Reads where an existing log ends, backwards from its end: chain head, line count, last checkpoint, torn tail. */
import type { FileHandle } from 'node:fs/promises';
import { ToolgateError } from '../errors.js';
import { GENESIS, checkLine } from './chain.js';

/** Where an existing log file stands, enough to continue its chain. */
export interface LogTail {
  /** Bytes of complete lines (the file's size without a torn tail). */
  readonly size: number;
  /** Complete lines. */
  readonly lines: number;
  /** Hash of the last complete line, or GENESIS. */
  readonly head: string;
  /** The last complete line's `type`, or null for an empty log. */
  readonly lastType: string | null;
  /** The last checkpoint's trigger (`close` after a clean shutdown), or null when there is none. */
  readonly lastTrigger: string | null;
  /** Complete lines after the last checkpoint. */
  readonly unsealed: number;
  /** Bytes after the last newline: a half-written line from a crash; null when there are none. */
  readonly torn: Buffer | null;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads the end of the log open as `handle` (`size` bytes long) back to its last checkpoint
 * (to the start when it has none), so that opening is quick however long the log is. The last
 * complete line must hold its own hash: a log whose last line was edited or is not JSON is
 * refused with `TG_LOG_TAMPERED`, never chained over. Throws `TG_LOG_FAILED` when it cannot read.
 */
export async function readTail(handle: FileHandle, size: number): Promise<LogTail> {
  if (size === 0) return { size: 0, lines: 0, head: GENESIS, lastType: null, lastTrigger: null, unsealed: 0, torn: null };
  const reader = new BackwardLines(handle, size);
  const end = await reader.start();
  const torn = end < size ? await readRange(handle, end, size) : null;
  if (end === 0) return { size: 0, lines: 0, head: GENESIS, lastType: null, lastTrigger: null, unsealed: 0, torn };

  let head: string | undefined;
  let lastType: string | null = null;
  let after = 0;
  for (let line = await reader.next(); line !== undefined; line = await reader.next()) {
    if (head === undefined) {
      const checked = checkLine(line);
      if (!checked.ok) {
        throw new ToolgateError('TG_LOG_TAMPERED', `the log's last line is ${checked.reason} (${checked.why}); run toolgate logs verify`, {
          details: { reason: checked.reason },
        });
      }
      head = checked.hash;
      lastType = typeof checked.record.type === 'string' ? checked.record.type : null;
      if (lastType === 'checkpoint') return { size: end, lines: countOf(checked.record) + 1, head, lastType, lastTrigger: triggerOf(checked.record), unsealed: 0, torn };
      after = 1;
      continue;
    }
    const record = parse(line);
    if (record?.type === 'checkpoint') {
      return { size: end, lines: countOf(record) + 1 + after, head, lastType, lastTrigger: triggerOf(record), unsealed: after, torn };
    }
    after++;
  }
  return { size: end, lines: after, head: head ?? GENESIS, lastType, lastTrigger: null, unsealed: after, torn };
}

function parse(line: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function countOf(checkpoint: Record<string, unknown>): number {
  const lines = checkpoint.lines;
  return typeof lines === 'number' && Number.isSafeInteger(lines) && lines >= 0 ? lines : 0;
}

function triggerOf(checkpoint: Record<string, unknown>): string | null {
  return typeof checkpoint.trigger === 'string' ? checkpoint.trigger : null;
}

async function readRange(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await readAt(handle, buf, done, buf.length - done, from + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

async function readAt(handle: FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
  try {
    return await handle.read(buf, offset, length, position);
  } catch (e) {
    throw new ToolgateError('TG_LOG_FAILED', `cannot read the decision log: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
}

// Complete lines from the end of the file towards its start, read in chunks.
class BackwardLines {
  private pos: number;
  private buf: Buffer = Buffer.alloc(0);
  // Lines in `buf` end at `cut` (exclusive); buf[0, cut) may start mid-line unless pos is 0.
  private cut = 0;

  private readonly handle: FileHandle;

  constructor(handle: FileHandle, size: number) {
    this.handle = handle;
    this.pos = size;
  }

  /** Finds the last newline; returns the size of the complete part (0 when there is none). */
  async start(): Promise<number> {
    for (;;) {
      const nl = this.buf.lastIndexOf(NEWLINE);
      if (nl >= 0) {
        this.cut = nl;
        return this.pos + nl + 1;
      }
      if (this.pos === 0) return 0;
      this.cut = this.buf.length;
      await this.more();
    }
  }

  /** The previous complete line, or undefined at the start of the file. */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.cut < 0) return undefined;
      // lastIndexOf with a negative offset would count from the end: guard the empty range.
      const nl = this.cut === 0 ? -1 : this.buf.lastIndexOf(NEWLINE, this.cut - 1);
      if (nl >= 0 || this.pos === 0) {
        const line = this.buf.subarray(nl + 1, this.cut);
        this.cut = nl;
        return line;
      }
      await this.more();
    }
  }

  private async more(): Promise<void> {
    const from = Math.max(0, this.pos - CHUNK);
    const chunk = await readRange(this.handle, from, this.pos);
    this.buf = Buffer.concat([chunk, this.buf.subarray(0, this.cut)]);
    this.cut += chunk.length;
    this.pos = from;
  }
}
