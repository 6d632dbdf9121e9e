/** `args_sha256`: SHA-256 over the RFC 8785 (JCS) canonical JSON of a call's arguments. */
import { canonicalJson as canonical, canonicalSha256 } from '../canonical.js';

/**
 * Lowercase hex SHA-256 of the RFC 8785 canonical JSON of `args`, so key order and number
 * spelling (`1.0` vs `1`) do not change the digest. Absent arguments (`undefined`) hash as `{}`,
 * the same as MCP treats them. Throws `TG_BAD_ARGS` for values JSON cannot carry (NaN,
 * Infinity, BigInt, a bare function).
 */
export function argsSha256(args: unknown): string {
  return canonicalSha256(args === undefined ? {} : args);
}

/** The RFC 8785 canonical JSON text of `args` (`undefined` → `{}`); throws `TG_BAD_ARGS`. */
export function canonicalJson(args: unknown): string {
  return canonical(args === undefined ? {} : args);
}
