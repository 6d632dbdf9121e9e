/** Reads a log file line by line, fast (one 1 MiB buffer, memchr for newlines), and follows it as it grows. */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ToolgateError } from '../errors.js';
import { errnoOf } from './lock.js';

/**
 * Called for each complete line, as the bytes `buf[start, end)` without the newline. The
 * buffer is reused: copy what must outlive the call. Return `false` to stop reading.
 */
export type LineHandler = (buf: Buffer, start: number, end: number) => boolean | void;

/** What a read pass saw. */
export interface ReadResult {
  /** Complete lines handed over. */
  readonly lines: number;
  /** Offset just past the last complete line handed over. */
  readonly end: number;
  /** Bytes after the last newline (a line still being written, or torn); empty when none. */
  readonly partial: Buffer;
  /** True when the handler stopped the read. */
  readonly stopped: boolean;
}

const CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads `path` from byte `from` to its current end, handing each complete line to `onLine`.
 * `onProgress(bytesRead, totalBytes)` is called once per chunk. Throws `TG_FILE_NOT_FOUND`
 * when the file does not exist, `TG_LOG_FAILED` when it cannot be read.
 */
export async function readLines(
  path: string,
  onLine: LineHandler,
  opts: { from?: number; onProgress?: (bytes: number, total: number) => void } = {},
): Promise<ReadResult> {
  const handle = await openForReading(path);
  try {
    const total = (await handle.stat()).size;
    return await readFrom(handle, opts.from ?? 0, total, onLine, opts.onProgress);
  } finally {
    await handle.close();
  }
}

/**
 * Reads `path` like `readLines`, then keeps reading lines as they are appended, polling every
 * `pollMs`, until `signal` aborts. A file that shrinks (replaced or cut) is read again from its
 * start. Resolves when aborted.
 */
export async function followLines(path: string, onLine: LineHandler, opts: { signal: AbortSignal; pollMs?: number; from?: number }): Promise<void> {
  const pollMs = opts.pollMs ?? 250;
  let offset = opts.from ?? 0;
  while (!opts.signal.aborted) {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw readFailed(e);
      size = 0;
    }
    if (size < offset) offset = 0;
    if (size > offset) {
      const handle = await openForReading(path);
      try {
        const result = await readFrom(handle, offset, size, onLine);
        offset = result.end;
        if (result.stopped) return;
      } finally {
        await handle.close();
      }
    }
    await sleep(pollMs, opts.signal);
  }
}

async function readFrom(
  handle: FileHandle,
  from: number,
  total: number,
  onLine: LineHandler,
  onProgress?: (bytes: number, total: number) => void,
): Promise<ReadResult> {
  let buf = Buffer.allocUnsafe(CHUNK);
  // buf[0, filled) holds unread bytes; the first `carry` of them are the start of a line.
  let filled = 0;
  let position = from;
  let lines = 0;
  let end = from;
  while (position < total) {
    if (filled === buf.length) {
      // One line longer than the buffer: grow it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, filled, Math.min(buf.length - filled, total - position), position));
    } catch (e) {
      throw readFailed(e);
    }
    if (bytesRead === 0) break;
    position += bytesRead;
    filled += bytesRead;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl >= 0 && nl < filled; nl = buf.indexOf(NEWLINE, start)) {
      lines++;
      end += nl + 1 - start;
      if (onLine(buf, start, nl) === false) return { lines, end, partial: Buffer.alloc(0), stopped: true };
      start = nl + 1;
    }
    if (start > 0) {
      buf.copy(buf, 0, start, filled);
      filled -= start;
    }
    onProgress?.(position - from, total - from);
  }
  return { lines, end, partial: Buffer.from(buf.subarray(0, filled)), stopped: false };
}

async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ToolgateError('TG_FILE_NOT_FOUND', `no decision log at ${path}`, { details: { file: path } });
    }
    throw readFailed(e);
  }
}

function readFailed(e: unknown): ToolgateError {
  return new ToolgateError('TG_LOG_FAILED', `cannot read the decision log: ${errnoOf(e)}`, { cause: e });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
