/** Shared CLI plumbing: one stderr line per error, stable exit codes, no stack traces. */
import { ToolgateError, oneLine } from '../errors.js';
import { scrub } from '../secrets.js';

/** Where a command writes; swapped in tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

/** The process's own stdout/stderr. */
export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};

/** Thrown by a command to end with a given exit code after it has printed its result. */
export class ExitWith extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/**
 * The exit code and what to print for any error a command threw: one line per error (a file
 * with several problems gets one line for each, as file:line: field: message).
 */
export function describeFailure(e: unknown): { exitCode: number; line: string } {
  if (e instanceof ExitWith) return { exitCode: e.exitCode, line: '' };
  if (e instanceof ToolgateError) {
    const lines = scrub(e.message).split('\n').map((l) => `toolgate: ${oneLine(l)}`);
    return { exitCode: e.exitCode, line: lines.join('\n') };
  }
  return { exitCode: 1, line: `toolgate: ${scrub(oneLine(e))}` };
}

/** Parses a JSON object given on the command line (`--args`). */
export function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ToolgateError('TG_USAGE', `${flag} is not valid JSON: ${oneLine(e)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ToolgateError('TG_USAGE', `${flag} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
