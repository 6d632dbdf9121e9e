/** RFC 8785 canonical JSON and its SHA-256, for the policy hash and `rate.by: args`. */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize@2 is CommonJS (`module.exports = fn`) but its types declare `export default`,
// which NodeNext reads as `{ default: fn }`; at runtime the default import is the function.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The RFC 8785 canonical JSON text of `value` (`null` for undefined). */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null';
}

/** Lowercase hex SHA-256 of the canonical JSON of `value`. */
export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
