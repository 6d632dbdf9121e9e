/** The writer behind a DecisionLog: group commit (one write+fsync per batch), checkpoints, rollback of a failed batch. */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import { sealLine } from './chain.js';
import type { CheckpointSigner, DecisionEntry, DecisionLog, InlineWrites, LogRecovery } from './decisions.js';
import { LEVEL_INFO, LEVEL_WARN, checkpointPayload, type CheckpointTrigger, type Outcome } from './lines.js';
import { errnoOf, type LogLock } from './lock.js';
import type { Redactor } from './redact.js';
import type { LogTail } from './tail.js';

type Work =
  | { readonly kind: 'line'; readonly body: Record<string, unknown>; readonly lazy?: boolean }
  | { readonly kind: 'checkpoint'; readonly trigger: CheckpointTrigger };

/** How long a lazy line (an outcome) may wait for a decision to ride along with before it is written on its own. */
export const LAZY_FLUSH_MS = 25;
/** An inline write slower than this (ms) means the disk is stalling: the event loop should not wait on it. */
export const INLINE_SLOW_MS = 50;
/** How long inline writes stay off after one was slow (see `InlineWrites`). */
export const INLINE_BACKOFF_MS = 10_000;
type Job = Work & { readonly done: Settle };

interface Settle {
  resolve(): void;
  reject(e: ToolgateError): void;
}

/** A DecisionLog over an open, locked file whose tail has been read (and a torn tail cut off). */
export class Writer implements DecisionLog {
  readonly path: string;
  recovered: LogRecovery | null = null;
  private readonly handle: FileHandle;
  private readonly lock: LogLock;
  private readonly redact: Redactor;
  private readonly every: number;
  private readonly intervalMs: number;
  private readonly signer: CheckpointSigner;
  private readonly now: () => number;
  // True when the file was opened with O_DSYNC, so a finished write is already durable.
  private readonly syncOnWrite: boolean;
  private readonly inline: InlineWrites | undefined;
  private inlineOffUntil = 0;
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
  private lazyTimer: NodeJS.Timeout | undefined;

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
    syncOnWrite = false,
    inline?: InlineWrites,
  ) {
    this.syncOnWrite = syncOnWrite;
    this.inline = inline;
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

  /** Seals what a previous run left (recovery line), marks this run's start (open checkpoint), starts the timer. */
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

  // Outcome lines are not write-ahead: they wait (at most LAZY_FLUSH_MS) to share the next
  // decision's write, so a call never waits on the previous call's outcome being made durable.
  outcome(id: string, o: { outcome: Outcome; latency_ms: number }): Promise<void> {
    return this.enqueueLine(
      {
        type: 'outcome',
        level: LEVEL_INFO,
        msg: 'outcome',
        time: this.iso(),
        id,
        outcome: o.outcome,
        latency_ms: o.latency_ms,
      },
      true,
    );
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
      if (this.lazyTimer) clearTimeout(this.lazyTimer);
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

  private enqueueLine(body: Record<string, unknown>, lazy = false): Promise<void> {
    if (this.closing) return Promise.reject(failed('the decision log is closed'));
    return this.push(lazy ? { kind: 'line', body, lazy } : { kind: 'line', body });
  }

  private enqueueCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    if (this.closing) return Promise.reject(failed('the decision log is closed'));
    return this.push({ kind: 'checkpoint', trigger });
  }

  private push(work: Work): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...work, done: { resolve, reject } });
      if (this.draining) return;
      if (work.kind === 'line' && work.lazy) {
        this.lazyTimer ??= setTimeout(() => {
          this.lazyTimer = undefined;
          if (!this.draining && this.queue.length > 0) void this.drain();
        }, LAZY_FLUSH_MS);
        return;
      }
      void this.drain();
    });
  }

  // Group commit: whatever queued while the last write+fsync ran goes out in one write+fsync.
  // `draining` is cleared in the same turn as the final empty-queue check, so a job queued
  // afterwards always starts a new drain.
  private async drain(): Promise<void> {
    this.draining = true;
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
    }
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
    if (this.syncOnWrite && this.inline && this.now() >= this.inlineOffUntil && this.inline.when()) {
      const started = performance.now();
      let written = 0;
      while (written < bytes.length) written += writeSync(this.handle.fd, bytes, written, bytes.length - written);
      if (performance.now() - started > (this.inline.slowMs ?? INLINE_SLOW_MS)) this.inlineOffUntil = this.now() + INLINE_BACKOFF_MS;
      return;
    }
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, null);
      done += bytesWritten;
    }
    if (!this.syncOnWrite) await this.handle.datasync();
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

function failed(message: string, cause?: unknown): ToolgateError {
  return new ToolgateError('TG_LOG_FAILED', message, cause === undefined ? {} : { cause });
}
