/** `toolgate logs` (review decisions as a table or JSON lines, optionally following) and `toolgate logs verify`. */
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { JSONWebKeySet } from 'jose';
import { loadConfig, DEFAULT_CONFIG } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { followLines, readLines } from '../log/read.js';
import { OutcomeJoiner, type ReviewFilter, type ReviewItem } from '../log/review.js';
import { TABLE_HEADER, formatJson, formatRow } from '../log/table.js';
import { verifyLog, type VerifyResult } from '../log/verify.js';
import { jwksPathFor, readAllPublicKeys, readJwksFile } from '../receipts/jwks.js';
import { terminalProgress } from './progress.js';
import { processIO, type CliIO } from './run.js';
import { parseSince } from './since.js';

/** `toolgate logs` options as commander hands them over. */
export interface LogsOptions {
  config: string;
  decision?: string;
  tool?: string;
  principal?: string;
  since?: string;
  json?: boolean;
  follow?: boolean;
}

/** `toolgate logs verify` options. */
export interface VerifyLogsOptions {
  config: string;
  jwks?: string;
  live?: boolean;
}

const FILTER_FLAGS = ['decision', 'tool', 'principal', 'since', 'json', 'follow'] as const;

/** Registers `logs` and `logs verify`; output goes to `io` (the process by default). */
export function register(program: Command, io: CliIO = processIO): void {
  const logs = program
    .command('logs')
    .description('review the decision log: a table on a terminal, JSON lines otherwise (each decision joined with its outcome)')
    .option('--config <file>', 'the gateway config, for the log path', DEFAULT_CONFIG)
    .option('--decision <decision>', 'only allow, deny or challenge')
    .option('--tool <tool>', 'only this tool: TOOL (the upstream\'s own name) or SERVER/TOOL')
    .option('--principal <id>', 'only this principal')
    .option('--since <duration>', 'only decisions newer than this: 30m, 1h, 7d, or an ISO date')
    .option('--json', 'JSON lines, also on a terminal')
    .option('--follow', 'keep printing decisions as they are logged, until Ctrl-C')
    .action(async (opts: LogsOptions) => {
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      try {
        await runLogs(opts, io, abort.signal);
      } finally {
        process.off('SIGINT', stop);
      }
    });
  logs
    .command('verify')
    .description(
      'check the hash chain and the signed checkpoints; exit 0 and a summary when intact, 1 and the first bad line on tampering, deletion or truncation',
    )
    .option('--jwks <file>', 'public keys for checkpoint signatures (default: jwks.json beside receipts.key)')
    .option('--live', 'accept lines not yet sealed by a checkpoint (a log a running gateway is writing)')
    .addHelpText('after', '\nAlso takes --config <file> (default ./toolgate.yaml), given before or after `verify`.')
    .action(async (opts: { jwks?: string; live?: boolean }, cmd: Command) => {
      // `logs` owns --config (commander hands it to the parent wherever it is written).
      const parent = cmd.parent?.opts<LogsOptions>() ?? { config: DEFAULT_CONFIG };
      const stray = FILTER_FLAGS.find((flag) => parent[flag] !== undefined);
      if (stray) throw new ToolgateError('TG_USAGE', `--${stray} applies to \`toolgate logs\`, not \`toolgate logs verify\``);
      await runVerify({ config: parent.config, ...opts }, io);
    });
}

/**
 * Prints the decisions of the configured log that pass the filters, in log order: a table when
 * `io` is a terminal, JSON lines otherwise or with `--json`. With `--follow`, keeps printing
 * until `signal` aborts. Throws `TG_USAGE` for a bad filter, and what `loadConfig` and reading throw.
 */
export async function runLogs(opts: LogsOptions, io: CliIO, signal: AbortSignal, now: () => number = Date.now): Promise<void> {
  const filter = filterFrom(opts, now());
  const config = await loadConfig(opts.config);
  const asJson = opts.json === true || !io.isTTY;
  let printedHeader = false;
  const print = (item: ReviewItem): void => {
    if (asJson) return io.out(formatJson(item));
    if (!printedHeader) {
      io.out(TABLE_HEADER);
      printedHeader = true;
    }
    io.out(formatRow(item));
  };
  const joiner = new OutcomeJoiner(filter, print);
  const read = await readLines(config.log.path, joiner.onLine);
  joiner.flush();
  if (opts.follow) {
    joiner.live = true;
    await followLines(config.log.path, joiner.onLine, { signal, from: read.end });
  }
  if (!asJson && !printedHeader) io.err('no decisions match');
  if (joiner.unreadable > 0) io.err(`toolgate: ${joiner.unreadable} lines of the log could not be read; run toolgate logs verify`);
}

/**
 * Verifies the configured log and prints a one-line summary; throws `TG_LOG_TAMPERED` naming
 * the first bad line and why. Signatures are checked against `--jwks`, else the `jwks.json`
 * beside `receipts.key` and its archive of rotated-out keys; with neither, the summary says they
 * were not checked.
 */
export async function runVerify(opts: VerifyLogsOptions, io: CliIO): Promise<void> {
  const config = await loadConfig(opts.config);
  const jwksPath = opts.jwks ?? (config.receipts.key ? jwksPathFor(config.receipts.key) : undefined);
  const jwks =
    opts.jwks !== undefined
      ? await readJwks(opts.jwks, false)
      : config.receipts.key
        ? await readDefaultJwks(config.receipts.key)
        : undefined;
  const progress = terminalProgress(io.isTTY);
  const label = `verifying ${basename(config.log.path)}`;
  let result: VerifyResult;
  try {
    result = await verifyLog(config.log.path, {
      ...(jwks ? { jwks } : {}),
      ...(opts.live ? { allowUnsealed: true } : {}),
      ...(progress ? { onProgress: (p: { bytes: number; total: number; lines: number }) => progress.update({ ...p, label }) } : {}),
    });
  } finally {
    progress?.done();
  }
  if (result.firstBad) {
    const { line, reason, message } = result.firstBad;
    throw new ToolgateError('TG_LOG_TAMPERED', `${config.log.path}: line ${line}: ${reason}: ${message}`, {
      details: { file: config.log.path, line, reason },
    });
  }
  io.out(summary(result, jwksPath));
}

function summary(r: VerifyResult, jwksPath: string | undefined): string {
  const parts = [`ok: ${r.lines} lines, ${r.checkpoints} checkpoints, head ${r.head.slice(0, 16)}`];
  parts.push(
    r.closed
      ? 'closed cleanly'
      : `not closed: ${r.unsealed === 1 ? '1 line' : `${r.unsealed} lines`} after the last checkpoint${r.lastCheckpoint === null ? '' : ` (line ${r.lastCheckpoint})`} ${r.unsealed === 1 ? 'is' : 'are'} not sealed yet${r.partialBytes > 0 ? ', and a line is being written' : ''}`,
  );
  if (r.recoveries.length > 0) {
    parts.push(`${r.recoveries.length} restart${r.recoveries.length === 1 ? '' : 's'} after an unclean shutdown (line ${r.recoveries.join(', ')})`);
  }
  parts.push(
    r.signaturesChecked ? `checkpoint signatures checked against ${jwksPath}` : 'checkpoint signatures NOT checked (no --jwks, and no receipts.key in the config)',
  );
  return parts.join('; ');
}

// jwks.json beside the key plus the archive of keys pruned by rotation: checkpoints outlive receipts.
async function readDefaultJwks(keyPath: string): Promise<JSONWebKeySet> {
  const keys = await readAllPublicKeys(keyPath);
  if (keys === undefined) return readJwks(jwksPathFor(keyPath), true);
  return { keys };
}

async function readJwks(path: string, byDefault: boolean): Promise<JSONWebKeySet> {
  const keys = await readJwksFile(path);
  if (keys === undefined) {
    throw new ToolgateError(
      'TG_FILE_NOT_FOUND',
      byDefault ? `no JWKS at ${path} (beside receipts.key); pass --jwks FILE` : `no JWKS at ${path}`,
      { details: { file: path } },
    );
  }
  return { keys };
}

function filterFrom(opts: LogsOptions, now: number): ReviewFilter {
  const filter: { -readonly [K in keyof ReviewFilter]: ReviewFilter[K] } = {};
  if (opts.decision !== undefined) {
    if (opts.decision !== 'allow' && opts.decision !== 'deny' && opts.decision !== 'challenge') {
      throw new ToolgateError('TG_USAGE', `--decision must be allow, deny or challenge, not ${JSON.stringify(opts.decision)}`);
    }
    filter.decision = opts.decision;
  }
  if (opts.tool !== undefined) filter.tool = opts.tool;
  if (opts.principal !== undefined) filter.principal = opts.principal;
  if (opts.since !== undefined) filter.since = parseSince(opts.since, now);
  return filter;
}

