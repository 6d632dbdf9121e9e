/** The decision log: what the gateway hands it, what it promises, and opening it (one hash-chained JSON line per decision). */
import { constants } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import type { Outcome } from './lines.js';
import { acquireLogLock, errnoOf } from './lock.js';
import { compileRedaction } from './redact.js';
import { readTail } from './tail.js';
import { Writer } from './writer.js';

/** Signs checkpoint payloads with the gateway key (the receipts signer fits). */
export interface CheckpointSigner {
  readonly kid: string;
  /** A compact JWS over `payload`. */
  signPayload(payload: Record<string, unknown>): Promise<string>;
}

/** One decision, as the gateway hands it over; the log adds `type`, `prev`, `hash` and the rest. */
export interface DecisionEntry {
  readonly id: string;
  /** ISO 8601. */
  readonly time: string;
  readonly session: string;
  /** Principal id. */
  readonly principal: string;
  /** Upstream name. */
  readonly server: string;
  /** The upstream's own tool name. */
  readonly tool: string;
  /** Call arguments; the configured paths are redacted before the line is hashed and stored. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly args_sha256: string;
  readonly decision: 'allow' | 'deny' | 'challenge';
  readonly rules: readonly string[];
  readonly reasons: readonly string[];
  /** The receipt's `jti`, or null when no receipt was signed. */
  readonly receipt: string | null;
  /** Approval id, when a person approved. */
  readonly approval?: string;
}

/** What reopening found when the previous run had not closed the log cleanly. */
export interface LogRecovery {
  /** Complete lines of the previous run after its last checkpoint. */
  readonly unsealed: number;
  /** Bytes of a half-written last line, cut off and kept (base64) in the recovery line; 0 if none. */
  readonly tornBytes: number;
  /** Number of the recovery line in the file (1-based). */
  readonly line: number;
}

/** An open decision log. */
export interface DecisionLog {
  /**
   * Writes a decision line. Resolves once the line is on disk (written and fsync'd, shared
   * with concurrent appends); rejects with `TG_LOG_FAILED` otherwise, and then the line is
   * not in the file. Lines are chained in call order. The line is built when its batch is
   * written, so `entry` (its `args` included) must not change until the promise settles.
   */
  append(entry: DecisionEntry): Promise<void>;
  /** Writes an outcome line naming decision `id`. Rejects with `TG_LOG_FAILED`. */
  outcome(id: string, o: { outcome: Outcome; latency_ms: number }): Promise<void>;
  /**
   * Writes an `interval` checkpoint if `checkpoint.intervalMs` has passed since the last one
   * and lines are unsealed. A timer calls it; tests call it with their own clock.
   */
  tick(): Promise<void>;
  /** Writes the closing checkpoint and releases the file. Idempotent. Rejects with `TG_LOG_FAILED`. */
  close(): Promise<void>;
  /** Absolute path of the log file. */
  readonly path: string;
  /** Set when the previous run ended without closing the log (crash, kill -9, power loss). */
  readonly recovered: LogRecovery | null;
  /** Counters: `commits` is the number of write+fsync rounds, `lines` the lines in the file. */
  stats(): { readonly commits: number; readonly lines: number };
}

/**
 * When to write a commit on the calling thread (one O_DSYNC write) instead of from libuv's thread
 * pool. Inline saves the pool's round trip (two cross-thread wake-ups, 0.1–0.2 ms on a small VM)
 * but blocks the event loop while the disk answers, so it pays only when nothing else would wait:
 * `when` is asked before each commit (the gateway answers "no other call in flight"). A write
 * that takes longer than `slowMs` (default 50: a stalling disk, not a busy one) turns inline
 * writes off for 10 s.
 */
export interface InlineWrites {
  readonly when: () => boolean;
  readonly slowMs?: number;
}

/** How to open the log. `now` (ms since the epoch) stamps outcome, checkpoint and recovery lines. */
export interface OpenDecisionLogOptions {
  readonly path: string;
  readonly redact: readonly string[];
  readonly checkpoint: { readonly every: number; readonly intervalMs: number };
  readonly signer: CheckpointSigner;
  readonly now?: () => number;
  /** When commits may be written inline (see `InlineWrites`); default never. */
  readonly inline?: InlineWrites;
}

/**
 * Opens (creating it and its folder if needed) the log at `path` and continues its chain. A new
 * log starts with an `open` checkpoint. A log whose previous run did not close it gets a
 * `recovery` line first (see `recovered`): a half-written last line is cut off and kept, base64,
 * in that line, never chained over. Takes `<path>.lock` for the life of the log. Throws
 * `TG_LOG_FAILED` when the log cannot be opened or written, `TG_LOG_TAMPERED` when its last
 * line is not a valid chained line, `TG_CONFIG_INVALID` for a bad redaction path.
 */
export async function openDecisionLog(opts: OpenDecisionLogOptions): Promise<DecisionLog> {
  const redact = compileRedaction(opts.redact);
  const { every, intervalMs } = opts.checkpoint;
  if (!Number.isSafeInteger(every) || every < 1 || !(intervalMs > 0)) {
    throw new ToolgateError('TG_CONFIG_INVALID', 'log.checkpoint needs every >= 1 and an interval above zero', { details: { field: 'log.checkpoint' } });
  }
  const now = opts.now ?? Date.now;
  try {
    await mkdir(dirname(opts.path), { recursive: true });
  } catch (e) {
    throw failed(`cannot create the log folder: ${errnoOf(e)}`, e);
  }
  const lock = await acquireLogLock(opts.path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(opts.path, OPEN_FLAGS, 0o640).catch((e: unknown) => {
      throw failed(`cannot open the decision log: ${errnoOf(e)}`, e);
    });
    const info = await stat(opts.path);
    // Character devices (/dev/full in tests) have no size to read back.
    const tail = await readTail(handle, info.isFile() ? info.size : 0);
    if (tail.torn) {
      await handle.truncate(tail.size).catch((e: unknown) => {
        throw failed(`cannot cut the torn last line of the decision log: ${errnoOf(e)}`, e);
      });
    }
    await syncFolder(dirname(opts.path));
    const log = new Writer(opts.path, handle, lock, tail, redact, every, intervalMs, opts.signer, now, SYNC_ON_WRITE, opts.inline);
    await log.start(tail);
    return log;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw isToolgateError(e) ? e : failed(`cannot open the decision log: ${oneLine(e)}`, e);
  }
}

// With O_DSYNC every write returns once its data is durable: one system call per commit instead
// of a write and an fdatasync. Where the platform has no O_DSYNC, the writer calls datasync.
const SYNC_ON_WRITE = constants.O_DSYNC !== undefined;
const OPEN_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_DSYNC ?? 0);

async function syncFolder(folder: string): Promise<void> {
  // A new file's directory entry is durable only once the folder is synced; best effort, as
  // some platforms refuse fsync on directories.
  try {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // not fatal: the data itself is fsync'd on every commit
  }
}

function failed(message: string, cause?: unknown): ToolgateError {
  return new ToolgateError('TG_LOG_FAILED', message, cause === undefined ? {} : { cause });
}
