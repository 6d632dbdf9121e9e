/** The decision log writer: one hash-chained JSON line per decision, durable before the call goes on. */
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import { sealLine } from './chain.js';
import { LEVEL_INFO, LEVEL_WARN, checkpointPayload, type CheckpointTrigger, type Outcome } from './lines.js';
import { acquireLogLock, errnoOf, type LogLock } from './lock.js';
import { compileRedaction, type Redactor } from './redact.js';
import { readTail, type LogTail } from './tail.js';

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

/** How to open the log. `now` (ms since the epoch) stamps outcome, checkpoint and recovery lines. */
export interface OpenDecisionLogOptions {
  readonly path: string;
  readonly redact: readonly string[];
  readonly checkpoint: { readonly every: number; readonly intervalMs: number };
  readonly signer: CheckpointSigner;
  readonly now?: () => number;
}

type Work = { readonly kind: 'line'; readonly body: Record<string, unknown> } | { readonly kind: 'checkpoint'; readonly trigger: CheckpointTrigger };
type Job = Work & { readonly done: Settle };

interface Settle {
  resolve(): void;
  reject(e: ToolgateError): void;
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
    handle = await open(opts.path, 'a+', 0o640).catch((e: unknown) => {
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
    const log = new Writer(opts.path, handle, lock, tail, redact, every, intervalMs, opts.signer, now);
    await log.start(tail);
    return log;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw isToolgateError(e) ? e : failed(`cannot open the decision log: ${oneLine(e)}`, e);
  }
}

class Writer implements DecisionLog {
  readonly path: string;
  recovered: LogRecovery | null = null;
  private readonly handle: FileHandle;
  private readonly lock: LogLock;
  private readonly redact: Redactor;
  private readonly every: number;
  private readonly intervalMs: number;
  private readonly signer: CheckpointSigner;
  private readonly now: () => number;
  // The chain as committed to disk.
  private size: number;
  private head: string;
  private lines: number;
  private unsealed: number;
  private lastCheckpointAt: number;
  private commits = 0;
  private queue: Job[] = [];
  private draining = false;
  private intervalPending = false;
  private broken: ToolgateError | undefined;
  private closing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    handle: FileHandle,
    lock: LogLock,
    tail: LogTail,
    redact: Redactor,
    every: number,
    intervalMs: number,
    signer: CheckpointSigner,
    now: () => number,
  ) {
    this.path = path;
    this.handle = handle;
    this.lock = lock;
    this.redact = redact;
    this.every = every;
    this.intervalMs = intervalMs;
    this.signer = signer;
    this.now = now;
    this.size = tail.size;
    this.head = tail.head;
    this.lines = tail.lines;
    this.unsealed = tail.unsealed;
    this.lastCheckpointAt = now();
  }

  // Seals what a previous run left (recovery line) and marks this run's start (open checkpoint).
  async start(tail: LogTail): Promise<void> {
    const unclean = tail.torn !== null || (tail.lines > 0 && !(tail.lastType === 'checkpoint' && tail.lastTrigger === 'close'));
    const pending: Array<Promise<void>> = [];
    if (unclean) {
      const torn = tail.torn ?? Buffer.alloc(0);
      this.recovered = { unsealed: tail.unsealed, tornBytes: torn.length, line: tail.lines + 1 };
      pending.push(
        this.enqueueLine({
          type: 'recovery',
          level: LEVEL_WARN,
          msg: 'recovery',
          time: this.iso(),
          unsealed: tail.unsealed,
          torn_bytes: torn.length,
          torn_sha256: torn.length > 0 ? createHash('sha256').update(torn).digest('hex') : null,
          torn: torn.length > 0 ? torn.toString('base64') : null,
        }),
      );
    }
    pending.push(this.enqueueCheckpoint('open'));
    await Promise.all(pending);
    this.timer = setInterval(() => {
      this.tick().catch(() => undefined);
    }, Math.min(this.intervalMs, 1000));
    this.timer.unref();
  }

  append(entry: DecisionEntry): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = this.redact({
        type: 'decision',
        level: LEVEL_INFO,
        msg: 'decision',
        time: entry.time,
        id: entry.id,
        session: entry.session,
        principal: entry.principal,
        server: entry.server,
        tool: entry.tool,
        args: entry.args,
        args_sha256: entry.args_sha256,
        decision: entry.decision,
        rules: entry.rules,
        reasons: entry.reasons,
        receipt: entry.receipt,
        ...(entry.approval === undefined ? {} : { approval: entry.approval }),
        outcome: null,
        latency_ms: null,
      });
    } catch (e) {
      return Promise.reject(failed(`cannot record the decision: ${oneLine(e)}`, e));
    }
    return this.enqueueLine(body);
  }

  outcome(id: string, o: { outcome: Outcome; latency_ms: number }): Promise<void> {
    return this.enqueueLine({
      type: 'outcome',
      level: LEVEL_INFO,
      msg: 'outcome',
      time: this.iso(),
      id,
      outcome: o.outcome,
      latency_ms: o.latency_ms,
    });
  }

  tick(): Promise<void> {
    if (this.closing || this.broken || this.intervalPending) return Promise.resolve();
    if (this.unsealed === 0 || this.now() - this.lastCheckpointAt < this.intervalMs) return Promise.resolve();
    this.intervalPending = true;
    return this.enqueueCheckpoint('interval').finally(() => {
      this.intervalPending = false;
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      try {
        if (!this.broken) await this.push({ kind: 'checkpoint', trigger: 'close' });
      } finally {
        await this.handle.close().catch(() => undefined);
        await this.lock.release().catch(() => undefined);
      }
    })();
    return this.closing;
  }

  stats(): { commits: number; lines: number } {
    return { commits: this.commits, lines: this.lines };
  }

  private enqueueLine(body: Record<string, unknown>): Promise<void> {
    if (this.closing) return Promise.reject(failed('the decision log is closed'));
    return this.push({ kind: 'line', body });
  }

  private enqueueCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    if (this.closing) return Promise.reject(failed('the decision log is closed'));
    return this.push({ kind: 'checkpoint', trigger });
  }

  private push(work: Work): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...work, done: { resolve, reject } });
      if (!this.draining) void this.drain();
    });
  }

  // Group commit: whatever queued while the last write+fsync ran goes out in one write+fsync.
  // `draining` is cleared in the same turn as the final empty-queue check, so a job queued
  // afterwards always starts a new drain.
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.broken) {
          for (const job of batch) job.done.reject(this.broken);
          continue;
        }
        await this.commit(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(batch: readonly Job[]): Promise<void> {
    const before = { head: this.head, lines: this.lines, unsealed: this.unsealed, lastCheckpointAt: this.lastCheckpointAt };
    const parts: string[] = [];
    const accepted: Settle[] = [];
    try {
      for (const job of batch) {
        if (job.kind === 'line') {
          let text: string;
          try {
            ({ text } = this.seal(job.body));
          } catch (e) {
            // This one line cannot be serialized; the others in the batch go ahead.
            job.done.reject(failed(`cannot record the decision: ${oneLine(e)}`, e));
            continue;
          }
          parts.push(text);
          this.unsealed++;
          accepted.push(job.done);
          if (this.unsealed >= this.every) parts.push(await this.checkpoint('every'));
        } else {
          if (job.trigger !== 'interval' || this.unsealed > 0) parts.push(await this.checkpoint(job.trigger));
          accepted.push(job.done);
        }
      }
      if (parts.length > 0) {
        const bytes = Buffer.from(parts.join(''), 'utf8');
        await this.write(bytes);
        this.size += bytes.length;
        this.commits++;
      }
    } catch (e) {
      const error = isToolgateError(e) ? e : failed(`cannot write the decision log: ${errnoOf(e)}`, e);
      this.head = before.head;
      this.lines = before.lines;
      this.unsealed = before.unsealed;
      this.lastCheckpointAt = before.lastCheckpointAt;
      await this.rollback(error);
      for (const done of accepted) done.reject(error);
      return;
    }
    for (const done of accepted) done.resolve();
  }

  // Seals one line onto the chain (in memory); the caller writes it.
  private seal(body: Record<string, unknown>): { text: string } {
    const sealed = sealLine(body, this.head);
    this.head = sealed.hash;
    this.lines++;
    return { text: `${sealed.text}\n` };
  }

  private async checkpoint(trigger: CheckpointTrigger): Promise<string> {
    const at = this.now();
    const time = new Date(at).toISOString();
    const payload = checkpointPayload(this.lines, this.head, time, trigger);
    let sig: string;
    try {
      sig = await this.signer.signPayload({ ...payload });
    } catch (e) {
      throw failed(`cannot sign a log checkpoint: ${oneLine(e)}`, e);
    }
    const { text } = this.seal({
      type: 'checkpoint',
      level: LEVEL_INFO,
      msg: 'checkpoint',
      time,
      lines: payload.lines,
      head: payload.head,
      trigger,
      kid: this.signer.kid,
      sig,
    });
    this.unsealed = 0;
    this.lastCheckpointAt = at;
    return text;
  }

  private async write(bytes: Buffer): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, null);
      done += bytesWritten;
    }
    await this.handle.datasync();
  }

  // A failed write may have left part of the batch in the file: cut it back to the last
  // committed line, so the next batch chains onto what is really there. If even that fails,
  // the log is broken for good and every later append is refused.
  private async rollback(error: ToolgateError): Promise<void> {
    try {
      const info = await this.handle.stat();
      if (info.isFile() && info.size !== this.size) {
        await this.handle.truncate(this.size);
        await this.handle.datasync();
      }
    } catch {
      this.broken = error;
    }
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

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
