/** `toolgate report`: verifies and summarises the decision log of a period into one self-contained HTML file. */
import type { Command } from 'commander';
import type { JSONWebKeySet } from 'jose';
import { loadConfig, DEFAULT_CONFIG } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { errnoOf } from '../log/lock.js';
import { jwksPathFor, readAllPublicKeys, readJwksFile } from '../receipts/jwks.js';
import { writeFileAtomic } from '../receipts/files.js';
import { chainStatus, type ChainStatus } from '../report/chain.js';
import { collectReport, type Collected, type CollectProgress } from '../report/collect.js';
import { utc } from '../report/html.js';
import { terminalProgress } from './progress.js';
import { parseSince } from './since.js';
import { renderReport } from '../report/render.js';
import { ExitWith, processIO, type CliIO } from './run.js';

/** `toolgate report` options as commander hands them over. */
export interface ReportOptions {
  config: string;
  since: string;
  out: string;
  jwks?: string;
}

/** The report's file mode: like the log it is made from (it names principals and shows argument previews). */
const REPORT_MODE = 0o640;

/** Registers `report`; output goes to `io` (the process by default). */
export function register(program: Command, io: CliIO = processIO): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report of the decision log: decisions over time, by tool, by principal, denials, approvals, outcomes and chain status; exit 1 when the chain is broken',
    )
    .option('--config <file>', 'the gateway config, for the log path and keys', DEFAULT_CONFIG)
    .option('--since <duration>', 'the period: decisions newer than this (30m, 24h, 7d) or since an ISO date', '7d')
    .option('--out <file>', 'the HTML file to write (replaced whole if it exists)', 'report.html')
    .option('--jwks <file>', 'public keys for checkpoint signatures (default: jwks.json beside receipts.key, and its archive)')
    .action(async (opts: ReportOptions) => {
      await runReport(opts, io);
    });
}

/**
 * Verifies the configured log, counts the decisions since `--since`, writes the HTML report to
 * `--out` atomically and prints a one-line summary; ends with exit 1 (after writing) when the
 * chain is broken. Throws `TG_USAGE` for a bad `--since`, `TG_FILE_NOT_FOUND` for a missing
 * config, log, `--jwks` file or output folder, `TG_REPORT_FAILED` when the file cannot be
 * written, and what `loadConfig` and reading the log throw.
 */
export async function runReport(opts: ReportOptions, io: CliIO, now: () => number = Date.now): Promise<void> {
  const generatedAt = now();
  const since = parseSince(opts.since, generatedAt);
  const config = await loadConfig(opts.config);
  const keys = await keysFor(opts.jwks, config.receipts.key);
  const progress = terminalProgress(io.isTTY);
  let collected: Collected;
  try {
    collected = await collectReport({
      logPath: config.log.path,
      since,
      now: generatedAt,
      ...(keys.jwks ? { jwks: keys.jwks } : {}),
      ...(progress ? { onProgress: (p: CollectProgress) => progress.update({ ...p, label: `report: ${STAGES[p.stage]}` }) } : {}),
    });
  } finally {
    progress?.done();
  }
  const chain = chainStatus(collected.chain, keys.note);
  const html = renderReport(collected.data, {
    configPath: config.file,
    logPath: config.log.path,
    generatedAt,
    since: opts.since,
    chain,
    unreadable: collected.unreadable,
  });
  await writeReport(opts.out, html);
  const d = collected.data;
  io.out(
    `wrote ${opts.out}: ${n(d.total)} decisions (${n(d.decisions.allow)} allow, ${n(d.decisions.challenge)} challenge, ${n(d.decisions.deny)} deny) from ${utc(d.period.start)} to ${utc(d.period.end)} UTC; ${chainLine(chain)}`,
  );
  if (chain.level === 'bad') throw new ExitWith(1);
}

const n = (value: number): string => value.toLocaleString('en');

const STAGES: Record<CollectProgress['stage'], string> = { verify: 'checking the chain', count: 'counting decisions' };

function chainLine(chain: ChainStatus): string {
  if (chain.level === 'bad') return `chain BROKEN at ${chain.headline.replace(/^broken at /, '')}: see the report`;
  return `chain ${chain.headline}, checkpoint signatures ${chain.signaturesChecked ? 'checked' : 'NOT checked'}`;
}


// Like `logs verify`: --jwks, else jwks.json beside receipts.key plus the archive of rotated-out keys.
// A missing default JWKS does not stop a report: it says the signatures were not checked.
async function keysFor(jwks: string | undefined, keyPath: string | undefined): Promise<{ jwks?: JSONWebKeySet; note: string }> {
  if (jwks !== undefined) {
    const keys = await readJwksFile(jwks);
    if (keys === undefined) throw new ToolgateError('TG_FILE_NOT_FOUND', `no JWKS at ${jwks}`, { details: { file: jwks } });
    return { jwks: { keys }, note: `checked against ${jwks}` };
  }
  if (keyPath === undefined) return { note: 'NOT checked: no receipts.key in the config (pass --jwks FILE)' };
  const keys = await readAllPublicKeys(keyPath);
  if (keys === undefined) return { note: `NOT checked: no JWKS at ${jwksPathFor(keyPath)} (pass --jwks FILE)` };
  return { jwks: { keys }, note: `checked against ${jwksPathFor(keyPath)}` };
}

async function writeReport(path: string, html: string): Promise<void> {
  try {
    await writeFileAtomic(path, html, REPORT_MODE);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT') {
      throw new ToolgateError('TG_FILE_NOT_FOUND', `cannot write ${path}: its folder does not exist`, { cause: e, details: { file: path } });
    }
    throw new ToolgateError('TG_REPORT_FAILED', `cannot write ${path}: ${code}`, { cause: e, details: { file: path } });
  }
}
