/** Pure prev/hash linking and checking of decision-log lines (SHA-256 over RFC 8785 canonical JSON). */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize@2 is CommonJS (`module.exports = serialize`) but its types declare `export default`;
// under NodeNext the default import is `module.exports` itself, so the type is corrected here.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The `prev` of a log's first line: 64 zeros (there is no line before it). */
export const GENESIS = '0'.repeat(64);

/**
 * Every stored line ends with this field, appended after the canonical JSON of the rest:
 * `…,"hash":"<64 hex>"}`. Its length is fixed, so a reader finds the hashed bytes without
 * re-serializing: everything before it, plus the closing brace.
 */
const HASH_SUFFIX_LENGTH = ',"hash":"'.length + 64 + '"}'.length;
const HASH_SUFFIX_START = Buffer.from(',"hash":"', 'utf8');
const CLOSE = Buffer.from('}', 'utf8');
const HEX64 = /^[0-9a-f]{64}$/;

/** A line ready to write (without its newline) and its hash, the next line's `prev`. */
export interface SealedLine {
  readonly text: string;
  readonly hash: string;
}

/**
 * Links `body` to `prev` and seals it: the stored line is the canonical JSON of `body` plus
 * `prev`, with `hash` (SHA-256 hex of that canonical JSON) appended as the last field.
 * `body` must be a JSON object without `prev` or `hash`; fields that are `undefined` are left out.
 */
export function sealLine(body: Readonly<Record<string, unknown>>, prev: string): SealedLine {
  if ('hash' in body || 'prev' in body) throw new TypeError('a log line body must not carry prev or hash');
  const canonical = canonicalize({ ...body, prev });
  if (canonical === undefined) throw new TypeError('a log line body must be a JSON object');
  const hash = createHash('sha256').update(canonical, 'utf8').digest('hex');
  return { text: `${canonical.slice(0, -1)},"hash":"${hash}"}`, hash };
}

/** What a stored line holds once its hash has been checked. */
export type CheckedLine =
  | { readonly ok: true; readonly record: Record<string, unknown>; readonly prev: string; readonly hash: string }
  | { readonly ok: false; readonly reason: 'malformed' | 'edited'; readonly why: string };

/**
 * Checks one stored line (the bytes `buf[start, end)`, no newline): it must be a JSON object
 * whose `hash` is the SHA-256 of the canonical JSON of the object without `hash`, and whose
 * `prev` is 64 hex digits. Lines written by `sealLine` are checked without re-serializing;
 * any other spelling of the same object (reformatted by hand, say) is canonicalized and passes
 * when its content is unchanged. Linking (`prev` against the previous hash) is the caller's job.
 */
export function checkLine(buf: Uint8Array, start = 0, end = buf.length): CheckedLine {
  let record: unknown;
  try {
    record = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', why: 'not valid JSON' };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, reason: 'malformed', why: 'not a JSON object' };
  }
  const fields = record as Record<string, unknown>;
  const { hash, prev } = fields;
  if (typeof hash !== 'string' || !HEX64.test(hash)) return { ok: false, reason: 'malformed', why: 'no valid hash field' };
  if (typeof prev !== 'string' || !HEX64.test(prev)) return { ok: false, reason: 'malformed', why: 'no valid prev field' };
  const actual = fastHash(buf, start, end, hash) ?? slowHash(fields);
  if (actual !== hash) return { ok: false, reason: 'edited', why: 'its content does not match its hash' };
  return { ok: true, record: fields, prev, hash };
}

/** A line after `scanLine`: its `type`, `prev` and `hash`; `record` only when it had to be parsed. */
export type ScannedLine =
  | {
      readonly ok: true;
      readonly type: string;
      readonly prev: string;
      readonly hash: string;
      readonly record: Record<string, unknown> | undefined;
    }
  | { readonly ok: false; readonly reason: 'malformed' | 'edited'; readonly why: string };

/**
 * `checkLine` without parsing JSON for the lines that make up nearly all of a log: a decision or
 * outcome line exactly as `sealLine` wrote it, whose bytes hash to its hash suffix. Its `type` is
 * the field just before that suffix and its `prev` the last `,"prev":"` (every field after `prev`
 * in such a line is a string or an array of strings, and a quote that follows a comma is never
 * inside a string). This is sound for the chain: a line whose hash a later signed checkpoint
 * covers is byte for byte what the writer wrote, so reading it this way reads it right; and a
 * line no checkpoint covers could have been rewritten at will anyway. Any other line (a
 * checkpoint, a recovery line, one that does not hash right) goes through `checkLine`.
 */
export function scanLine(buf: Uint8Array, start = 0, end = buf.length): ScannedLine {
  const cut = end - HASH_SUFFIX_LENGTH;
  if (cut > start && startsWith(buf, cut, HASH_SUFFIX_START)) {
    const hash = Buffer.from(buf.buffer, buf.byteOffset + cut + HASH_SUFFIX_START.length, 64).toString('latin1');
    const type = endsWith(buf, start, cut, DECISION_TYPE) ? 'decision' : endsWith(buf, start, cut, OUTCOME_TYPE) ? 'outcome' : undefined;
    if (type !== undefined) {
      const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
      const at = bytes.lastIndexOf(PREV_KEY, cut - 1);
      const from = at + PREV_KEY.length;
      if (at >= start && from + 64 < cut && bytes[from + 64] === QUOTE) {
        const prev = bytes.toString('latin1', from, from + 64);
        const digest = createHash('sha256').update(bytes.subarray(start, cut)).update(CLOSE).digest('hex');
        if (digest === hash && HEX64.test(prev)) return { ok: true, type, prev, hash, record: undefined };
      }
    }
  }
  const checked = checkLine(buf, start, end);
  if (!checked.ok) return checked;
  const type = checked.record.type;
  return { ok: true, type: typeof type === 'string' ? type : '', prev: checked.prev, hash: checked.hash, record: checked.record };
}

const PREV_KEY = Buffer.from(',"prev":"', 'utf8');
const DECISION_TYPE = Buffer.from(',"type":"decision"', 'utf8');
const OUTCOME_TYPE = Buffer.from(',"type":"outcome"', 'utf8');
const QUOTE = 0x22;

function startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

function endsWith(buf: Uint8Array, start: number, end: number, suffix: Uint8Array): boolean {
  return end - start >= suffix.length && startsWith(buf, end - suffix.length, suffix);
}

/** `checkLine` for a string. */
export function checkLineText(text: string): CheckedLine {
  return checkLine(Buffer.from(text, 'utf8'));
}

// The line as sealLine writes it: hash the bytes before the suffix plus "}". Returns undefined
// when the line does not end in the suffix for `hash`, or when the hash does not match (a
// reformatted line may still match canonically; slowHash decides).
function fastHash(buf: Uint8Array, start: number, end: number, hash: string): string | undefined {
  const cut = end - HASH_SUFFIX_LENGTH;
  if (cut <= start) return undefined;
  for (let i = 0; i < HASH_SUFFIX_START.length; i++) if (buf[cut + i] !== HASH_SUFFIX_START[i]) return undefined;
  const digest = createHash('sha256').update(buf.subarray(start, cut)).update(CLOSE).digest('hex');
  return digest === hash ? digest : undefined;
}

function slowHash(fields: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = fields;
  const canonical = canonicalize(rest) ?? '';
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
