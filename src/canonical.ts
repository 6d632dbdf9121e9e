/** RFC 8785 (JCS) canonical JSON and its SHA-256: one definition for receipts, policy hashes, rate keys and pins. */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { ToolgateError } from './errors.js';

// canonicalize@2 is CommonJS (`module.exports = serialize`) but its types declare `export default`;
// under NodeNext the default import is `module.exports` itself, so the types are corrected here.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/**
 * The RFC 8785 canonical JSON text of `value`, so key order and number spelling (`1.0` vs `1`)
 * never change it. Throws `TG_BAD_ARGS` for values JSON cannot carry (NaN, Infinity, BigInt,
 * a bare function or `undefined`).
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (e) {
    throw new ToolgateError('TG_BAD_ARGS', 'value cannot be written as canonical JSON', { cause: e });
  }
  if (text === undefined) throw new ToolgateError('TG_BAD_ARGS', 'value cannot be written as canonical JSON');
  return text;
}

/** Lowercase hex SHA-256 of the canonical JSON of `value`; throws like `canonicalJson`. */
export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
