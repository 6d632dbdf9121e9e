/** `args_sha256`: SHA-256 over the RFC 8785 (JCS) canonical JSON of a call's arguments. */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { ToolgateError } from '../errors.js';

// canonicalize@2 is CommonJS (`module.exports = serialize`) but its types declare `export default`;
// under NodeNext the default import is `module.exports` itself, so the types are corrected here.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/**
 * Lowercase hex SHA-256 of the RFC 8785 canonical JSON of `args`, so key order and number
 * spelling (`1.0` vs `1`) do not change the digest. Absent arguments (`undefined`) hash as `{}`,
 * the same as MCP treats them. Throws `TG_BAD_ARGS` for values JSON cannot carry (NaN,
 * Infinity, BigInt, a bare function).
 */
export function argsSha256(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args), 'utf8').digest('hex');
}

/** The RFC 8785 canonical JSON text of `args` (`undefined` → `{}`); throws `TG_BAD_ARGS`. */
export function canonicalJson(args: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(args === undefined ? {} : args);
  } catch (e) {
    throw new ToolgateError('TG_BAD_ARGS', 'arguments cannot be written as canonical JSON', { cause: e });
  }
  if (text === undefined) throw new ToolgateError('TG_BAD_ARGS', 'arguments cannot be written as canonical JSON');
  return text;
}
