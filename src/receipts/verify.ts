/** The shared receipt verification core: alg, typ, kid, signature, time, audience, tool, args hash, single use. */
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ToolgateError } from '../errors.js';
import type { ReplayCache } from './replay.js';
import { RECEIPT_TYP, type ReceiptAlg, type ReceiptClaims } from './sign.js';
import { CLOCK_SKEW_SECONDS } from './skew.js';
import type { KeyLookup } from './key-source.js';

/**
 * Clock-skew allowance, in seconds: a receipt verifies until 30 s after its `exp`, and one whose
 * `iat` is up to 30 s ahead of the verifier's clock is accepted. Receipts live for the configured
 * TTL (120 s by default), so 30 s absorbs ordinary NTP drift without stretching them much.
 */
export { CLOCK_SKEW_SECONDS };

/** The only algorithms a receipt may use. `none`, HMAC and RSA are refused before any key is looked up. */
export const RECEIPT_ALGS: readonly ReceiptAlg[] = ['EdDSA', 'ES256'];

/** Why a receipt was refused: `details.reason` of the `TG_RECEIPT_INVALID` error. */
export type ReceiptRefusal =
  | 'missing'
  | 'malformed'
  | 'alg-not-allowed'
  | 'wrong-type'
  | 'unknown-kid'
  | 'bad-signature'
  | 'jwks-unavailable'
  | 'bad-claims'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'wrong-tool'
  | 'args-mismatch'
  | 'replayed';

/** What to check beyond the signature; each check runs only when its field is given. */
export interface VerifyChecks {
  /** Public keys, from `keyLookup(source)`. */
  readonly keys: KeyLookup;
  readonly audience?: string;
  readonly tool?: string;
  readonly issuer?: string;
  /** Expected `args_sha256` (from `argsSha256(args)`). */
  readonly argsSha256?: string;
  /** Records the `jti`; a second use is refused. Consulted last, so a refused receipt is not spent. */
  readonly replay?: ReplayCache;
  /** The verifier's clock, milliseconds since the epoch. */
  readonly now?: number;
}

/** A receipt that passed every check. */
export interface VerifiedReceipt {
  readonly claims: ReceiptClaims;
  readonly header: { readonly alg: ReceiptAlg; readonly kid: string };
}

/** Longest token accepted; real receipts are well under 1 KiB. */
const MAX_TOKEN_LENGTH = 16 * 1024;

const claimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.string(),
  aud: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1),
  tool: z.string(),
  decision: z.enum(['allow', 'challenge']),
  rules: z.array(z.string()),
  policy: z.string(),
  args_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  approval: z.string().optional(),
});

/**
 * Verifies a receipt token. Returns its claims, or throws `TG_RECEIPT_INVALID` with
 * `details.reason` (a `ReceiptRefusal`) and a one-line message that never repeats argument values.
 */
export async function verifyReceiptToken(token: unknown, checks: VerifyChecks): Promise<VerifiedReceipt> {
  if (token === undefined || token === null || token === '') throw refused('missing', 'no receipt');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw refused('malformed', 'not a compact JWS');
  const header = readHeader(token);
  const now = checks.now ?? Date.now();

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, checks.keys, {
      algorithms: [...RECEIPT_ALGS],
      typ: RECEIPT_TYP,
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
      ...(checks.audience === undefined ? {} : { audience: checks.audience }),
      ...(checks.issuer === undefined ? {} : { issuer: checks.issuer }),
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
    }));
  } catch (e) {
    throw fromJose(e, header.kid);
  }

  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) throw refused('bad-claims', 'claims are missing or of the wrong type', header.kid);
  const claims = parsed.data as ReceiptClaims;
  if (claims.iat > Math.floor(now / 1000) + CLOCK_SKEW_SECONDS) {
    throw refused('not-yet-valid', 'issued in the future', header.kid);
  }
  if (checks.tool !== undefined && claims.tool !== checks.tool) throw refused('wrong-tool', 'issued for another tool', header.kid);
  if (checks.argsSha256 !== undefined && claims.args_sha256 !== checks.argsSha256) {
    throw refused('args-mismatch', 'issued for other arguments', header.kid);
  }
  if (checks.replay && !(await checks.replay.add(claims.jti, claims.exp))) {
    throw refused('replayed', 'already used', header.kid);
  }
  return { claims, header };
}

/** Builds the refusal error, `receipt refused: <reason> (<what>)`, code `TG_RECEIPT_INVALID`. */
export function refused(reason: ReceiptRefusal, what: string, kid?: string, cause?: unknown): ToolgateError {
  const message = what === reason ? `receipt refused: ${reason}` : `receipt refused: ${reason} (${what})`;
  return new ToolgateError('TG_RECEIPT_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason, ...(kid === undefined ? {} : { kid }) },
  });
}

// Header checks come first, so `alg: none`, HMAC or a foreign token type never reach key lookup.
function readHeader(token: string): { alg: ReceiptAlg; kid: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (e) {
    throw refused('malformed', 'not a compact JWS', undefined, e);
  }
  if (token.split('.').length !== 3) throw refused('malformed', 'not a compact JWS');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(RECEIPT_ALGS as readonly string[]).includes(alg)) {
    throw refused('alg-not-allowed', 'algorithm not allowed');
  }
  if (header.typ !== RECEIPT_TYP) throw refused('wrong-type', 'not a toolgate receipt');
  if (typeof header.kid !== 'string' || header.kid === '') throw refused('unknown-kid', 'no key id');
  return { alg: alg as ReceiptAlg, kid: header.kid };
}

function fromJose(e: unknown, kid: string): ToolgateError {
  if (e instanceof ToolgateError) return e;
  if (e instanceof errors.JWTExpired) return refused('expired', 'expired', kid, e);
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'aud':
        return refused('wrong-audience', 'issued for another upstream', kid, e);
      case 'iss':
        return refused('wrong-issuer', 'issued by another gateway', kid, e);
      case 'nbf':
      case 'iat':
        return refused('not-yet-valid', 'not yet valid', kid, e);
      case 'typ':
        return refused('wrong-type', 'not a toolgate receipt', kid, e);
      default:
        return refused('bad-claims', 'claims are missing or of the wrong type', kid, e);
    }
  }
  if (e instanceof errors.JWKSNoMatchingKey) return refused('unknown-kid', 'signed with a key not in the JWKS', kid, e);
  if (e instanceof errors.JWKSMultipleMatchingKeys) return refused('unknown-kid', 'the JWKS holds the key id twice', kid, e);
  if (e instanceof errors.JWSSignatureVerificationFailed) return refused('bad-signature', 'signature does not verify', kid, e);
  if (e instanceof errors.JOSEAlgNotAllowed) return refused('alg-not-allowed', 'algorithm not allowed', kid, e);
  if (e instanceof errors.JWKSTimeout) return refused('jwks-unavailable', 'the JWKS could not be fetched in time', kid, e);
  if (e instanceof errors.JWKSInvalid || e instanceof errors.JWKInvalid || e instanceof errors.JOSENotSupported) {
    return refused('jwks-unavailable', 'the JWKS holds no usable key for this receipt', kid, e);
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return refused('malformed', 'not a well-formed receipt', kid, e);
  return refused('jwks-unavailable', 'the JWKS could not be read', kid, e);
}
