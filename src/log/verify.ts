/** Streams a decision log and checks its hash chain, checkpoint counts and heads, and checkpoint signatures. */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { GENESIS, scanLine } from './chain.js';
import { CHECKPOINT_TYP, checkpointLineSchema, type CheckpointLine } from './lines.js';
import { readLines } from './read.js';

/** Why a line is bad. */
export type BadReason =
  | 'malformed'
  | 'edited'
  | 'deleted-or-reordered'
  | 'checkpoint-mismatch'
  | 'bad-checkpoint-signature'
  | 'torn-line'
  | 'truncated';

/** The first bad line: 1-based `line`, a `reason` to switch on, and a one-line `message` about that line. */
export interface BadLine {
  readonly line: number;
  readonly reason: BadReason;
  readonly message: string;
}

/** What verification found. `ok` is false exactly when `firstBad` is set. */
export interface VerifyResult {
  readonly ok: boolean;
  /** Complete lines read (up to the first bad one when the chain breaks). */
  readonly lines: number;
  readonly checkpoints: number;
  /** Hash of the last good line, GENESIS when there is none. */
  readonly head: string;
  /** Whether checkpoint signatures were checked (a JWKS was given). */
  readonly signaturesChecked: boolean;
  /** True when the last line is a `close` checkpoint: the gateway closed the log cleanly. */
  readonly closed: boolean;
  /** Line number of the last checkpoint, or null. */
  readonly lastCheckpoint: number | null;
  /** Lines after the last checkpoint: not covered by any signature. */
  readonly unsealed: number;
  /** Bytes of an incomplete last line (a line being written, or torn by a crash). */
  readonly partialBytes: number;
  /** Line numbers of recovery lines: each marks a run that ended without closing the log. */
  readonly recoveries: readonly number[];
  readonly firstBad?: BadLine;
}

/** Options: `jwks` to check signatures; `allowUnsealed` for a log a running gateway is writing. */
export interface VerifyOptions {
  /** Public keys for checkpoint signatures; without it, signatures are not checked (said so in the result). */
  readonly jwks?: JSONWebKeySet;
  /**
   * Accept a log that does not end with a `close` checkpoint (and an incomplete last line):
   * right for a log a running gateway is writing, but then a cut of the unsealed tail cannot
   * be seen. Default false: such a log is reported `truncated` (or `torn-line`).
   */
  readonly allowUnsealed?: boolean;
  /** Called once per chunk read (about 1 MiB). */
  readonly onProgress?: (progress: { bytes: number; total: number; lines: number }) => void;
}

const TYPES = new Set(['decision', 'outcome', 'checkpoint', 'recovery']);
const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'];

/**
 * Verifies the log at `path` in one streaming pass. Each line must hold its own hash and name
 * the previous line's hash as `prev` (the first line: GENESIS). Each checkpoint's signed
 * payload must count the lines before it and name the hash of the last of them, and, given a
 * JWKS, carry a valid signature from one of its keys. The log must end with a `close`
 * checkpoint unless `allowUnsealed`. Reports the first bad line. Throws `TG_FILE_NOT_FOUND`
 * when there is no log, `TG_LOG_FAILED` when it cannot be read.
 */
export async function verifyLog(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const keys = opts.jwks ? createLocalJWKSet(opts.jwks) : undefined;
  const signatureChecks: Array<Promise<BadLine | undefined>> = [];
  const recoveries: number[] = [];
  let expectedPrev = GENESIS;
  let line = 0;
  let checkpoints = 0;
  let lastCheckpoint: number | null = null;
  let lastTrigger: string | null = null;
  let unsealed = 0;
  let chainBad: BadLine | undefined;

  const onLine = (buf: Buffer, start: number, end: number): boolean => {
    line++;
    const checked = scanLine(buf, start, end);
    if (!checked.ok) {
      chainBad =
        checked.reason === 'edited'
          ? bad(line, 'edited', `${checked.why}: it was changed after it was written`)
          : bad(line, 'malformed', `not a log line: ${checked.why}`);
      return false;
    }
    if (checked.prev !== expectedPrev) {
      chainBad =
        line === 1
          ? bad(1, 'deleted-or-reordered', 'it does not start a chain: lines were cut from the start of the log')
          : bad(line, 'deleted-or-reordered', `it does not follow line ${line - 1}: a line was deleted, inserted or moved here`);
      return false;
    }
    const type = checked.type;
    if (!TYPES.has(type)) {
      chainBad = bad(line, 'malformed', 'not a log line: unknown type');
      return false;
    }
    if (type === 'checkpoint') {
      const parsed = checkpointLineSchema.safeParse(checked.record ?? {});
      if (!parsed.success) {
        chainBad = bad(line, 'malformed', 'not a valid checkpoint line');
        return false;
      }
      const mismatch = checkSeal(parsed.data, line, expectedPrev);
      if (mismatch) {
        chainBad = mismatch;
        return false;
      }
      if (keys) signatureChecks.push(checkSignature(parsed.data, line, keys));
      checkpoints++;
      lastCheckpoint = line;
      lastTrigger = parsed.data.trigger;
      unsealed = 0;
    } else {
      unsealed++;
      if (type === 'recovery') recoveries.push(line);
    }
    expectedPrev = checked.hash;
    return true;
  };

  const read = await readLines(path, onLine, {
    ...(opts.onProgress ? { onProgress: (bytes: number, total: number) => opts.onProgress?.({ bytes, total, lines: line }) } : {}),
  });
  const goodLines = chainBad ? chainBad.line - 1 : line;
  let firstBad = chainBad;
  for (const found of await Promise.all(signatureChecks)) {
    if (found && (!firstBad || found.line < firstBad.line)) firstBad = found;
  }
  const closed = !chainBad && lastCheckpoint === line && lastTrigger === 'close';
  if (!firstBad && read.partial.length > 0 && !opts.allowUnsealed) {
    firstBad = bad(
      line + 1,
      'torn-line',
      `incomplete last line (${read.partial.length} bytes without a newline): the gateway stopped mid-write; its next start cuts the line off and records it`,
    );
  }
  if (!firstBad && line === 0 && !opts.allowUnsealed) {
    firstBad = bad(1, 'truncated', 'the log is empty: a gateway starts every log with a checkpoint');
  }
  if (!firstBad && !closed && !opts.allowUnsealed) {
    const last = lastCheckpoint === null ? 'there is no checkpoint' : `the last checkpoint is line ${lastCheckpoint}`;
    firstBad = bad(
      line + 1,
      'truncated',
      `the log ends after line ${line} without a closing checkpoint (${last}; ${unsealed === 1 ? '1 line after it is' : `${unsealed} lines after it are`} not sealed): the tail was cut, or the gateway is still running (see --live) or stopped without closing the log`,
    );
  }
  return {
    ok: firstBad === undefined,
    lines: goodLines,
    checkpoints,
    head: expectedPrev,
    signaturesChecked: keys !== undefined,
    closed,
    lastCheckpoint,
    unsealed,
    partialBytes: read.partial.length,
    recoveries,
    ...(firstBad ? { firstBad } : {}),
  };
}

// The checkpoint's signed payload (read without checking the signature, which checkSignature
// does) must describe the chain before it; so must the line's own copies of those fields.
function checkSeal(cp: CheckpointLine, line: number, prev: string): BadLine | undefined {
  const payload = decodePayload(cp.sig);
  if (!payload) return bad(line, 'bad-checkpoint-signature', 'this checkpoint carries no readable signed payload');
  const signedLines = payload.lines;
  const signedHead = payload.head;
  if (
    payload.typ !== CHECKPOINT_TYP ||
    signedLines !== line - 1 ||
    signedHead !== prev ||
    payload.time !== cp.time ||
    payload.trigger !== cp.trigger ||
    cp.lines !== line - 1 ||
    cp.head !== prev
  ) {
    const what =
      typeof signedLines === 'number' && signedLines !== line - 1
        ? `signs ${signedLines} lines before it, but there are ${line - 1}`
        : 'does not sign the hash of the line before it';
    return bad(line, 'checkpoint-mismatch', `this checkpoint ${what}: lines before it were deleted, inserted or rewritten`);
  }
  return undefined;
}

async function checkSignature(cp: CheckpointLine, line: number, keys: ReturnType<typeof createLocalJWKSet>): Promise<BadLine | undefined> {
  try {
    const { protectedHeader } = await compactVerify(cp.sig, keys, { algorithms: ALGORITHMS });
    if (protectedHeader.kid !== undefined && protectedHeader.kid !== cp.kid) {
      return bad(line, 'bad-checkpoint-signature', `this checkpoint names key ${JSON.stringify(cp.kid)} but was signed by ${JSON.stringify(protectedHeader.kid)}`);
    }
    return undefined;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ERR_JWKS_NO_MATCHING_KEY'
        ? `its key ${JSON.stringify(cp.kid)} is not in the JWKS`
        : code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'
          ? 'several JWKS keys match it'
          : 'its signature does not verify';
    return bad(line, 'bad-checkpoint-signature', `this checkpoint is not genuine: ${why}`);
  }
}

function decodePayload(jws: string): Record<string, unknown> | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function bad(line: number, reason: BadReason, message: string): BadLine {
  return { line, reason, message };
}
