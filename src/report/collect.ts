/** Reads the decision log for a report: one pass verifying the chain, one pass counting the period's decisions. */
import type { JSONWebKeySet } from 'jose';
import { readLines } from '../log/read.js';
import { OutcomeJoiner } from '../log/review.js';
import { verifyLog, type VerifyResult } from '../log/verify.js';
import { ReportAggregator } from './aggregate.js';
import type { ReportData } from './types.js';
import { reportPeriod } from './period.js';

/** Which pass is running, and how far it is. */
export interface CollectProgress {
  readonly stage: 'verify' | 'count';
  readonly bytes: number;
  readonly total: number;
  readonly lines: number;
}

/** What to read: the log, the period (ms since the epoch), keys for checkpoint signatures. */
export interface CollectOptions {
  readonly logPath: string;
  readonly since: number;
  readonly now: number;
  /** Without it, checkpoint signatures are not checked (the chain status says so). */
  readonly jwks?: JSONWebKeySet;
  /** Called about once per MiB read. */
  readonly onProgress?: (progress: CollectProgress) => void;
}

/** What a report shows: the period's numbers, the chain status, and how many lines could not be read. */
export interface Collected {
  readonly data: ReportData;
  /**
   * The chain as `verifyLog` found it, unsealed lines allowed (a running gateway's log has some):
   * `closed` and `unsealed` tell whether the end of the log is covered by a signed checkpoint.
   */
  readonly chain: VerifyResult;
  /** Lines that are not valid log lines of a known type (counted, not shown). */
  readonly unreadable: number;
}

/**
 * Verifies the log at `logPath` and counts the decisions at or after `since`, each joined with
 * its outcome line. Memory stays bounded whatever the log's size (see `ReportAggregator`).
 * Throws `TG_FILE_NOT_FOUND` when there is no log, `TG_LOG_FAILED` when it cannot be read.
 */
export async function collectReport(opts: CollectOptions): Promise<Collected> {
  const progress = opts.onProgress;
  const chain = await verifyLog(opts.logPath, {
    allowUnsealed: true,
    ...(opts.jwks ? { jwks: opts.jwks } : {}),
    ...(progress ? { onProgress: (p: { bytes: number; total: number; lines: number }) => progress({ stage: 'verify', ...p }) } : {}),
  });

  const aggregator = new ReportAggregator(reportPeriod(opts.since, opts.now));
  const joiner = new OutcomeJoiner({ since: opts.since }, (item) => aggregator.add(item));
  await readLines(
    opts.logPath,
    joiner.onLine,
    progress ? { onProgress: (bytes, total) => progress({ stage: 'count', bytes, total, lines: joiner.lines }) } : {},
  );
  joiner.flush();
  return { data: aggregator.result(), chain, unreadable: joiner.unreadable };
}
