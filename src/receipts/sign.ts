/** Receipt claims → compact JWS with the gateway key: the per-call hot path, one sign per allowed call. */
import { randomUUID, sign as signBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { ToolgateError } from '../errors.js';

/** The signature algorithms receipts use: EdDSA over Ed25519 (default) or ES256 over P-256. */
export type ReceiptAlg = 'EdDSA' | 'ES256';

/** Where the receipt travels: `params._meta[RECEIPT_META_KEY]` upstream, `result._meta[…]` back. */
export const RECEIPT_META_KEY = 'toolgate/receipt';

/**
 * The `typ` header of every receipt. Verifiers require it, so no other JWS signed with the same
 * key (a decision-log checkpoint, say) can pass for a receipt.
 */
export const RECEIPT_TYP = 'toolgate-receipt+jwt';

/** What the gateway knows about an allowed (or approved) call; the signer adds the rest. */
export interface ReceiptInput {
  /** Principal id. */
  readonly sub: string;
  /** Upstream name. */
  readonly aud: string;
  /** The upstream's own tool name, never the prefixed one. */
  readonly tool: string;
  readonly decision: 'allow' | 'challenge';
  /** Ids of the rules that matched. */
  readonly rules: readonly string[];
  /** Hash of the loaded policy. */
  readonly policy: string;
  /** `argsSha256(arguments)` from ./digest.ts. */
  readonly args_sha256: string;
  /** Approval id, when a person approved the call. */
  readonly approval?: string;
  /** The receipt id, when the caller needs it before signing (to log it alongside); default a random UUID. */
  readonly jti?: string;
}

/** Every claim of a receipt, as signed. Times are seconds since the epoch. */
export interface ReceiptClaims extends ReceiptInput {
  readonly iss: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

/** A signed receipt: the compact JWS and the two claims the gateway logs and tracks. */
export interface SignedReceipt {
  readonly token: string;
  readonly jti: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** Signs receipts (and other payloads) with one imported key. */
export interface ReceiptSigner {
  /** RFC 7638 thumbprint of the public key; the `kid` header. */
  readonly kid: string;
  readonly alg: ReceiptAlg;
  /** The `iss` claim: the gateway's name. */
  readonly issuer: string;
  /** Receipt lifetime in seconds. */
  readonly ttlSeconds: number;
  /** Public keys to publish (active first, then retained old ones); frozen, never private parts. */
  jwks(): { keys: JWK[] };
  /** Signs a receipt; `now` in milliseconds since the epoch. Throws `TG_SIGN_FAILED`. */
  sign(input: ReceiptInput, now?: number): Promise<SignedReceipt>;
  /** A compact JWS (header `alg`, `kid`) over any JSON payload, e.g. log checkpoints. Throws `TG_SIGN_FAILED`. */
  signPayload(payload: Record<string, unknown>): Promise<string>;
}

/** An imported private key and what is published beside it. */
export interface SignerKey {
  readonly privateKey: KeyObject;
  readonly kid: string;
  readonly alg: ReceiptAlg;
  /** Public JWKs to publish, the active key's first. */
  readonly publicKeys: readonly JWK[];
}

/**
 * Builds a signer around an already imported key: headers are encoded once here, so a
 * receipt costs one JSON.stringify, two base64url encodings and one signature.
 */
export function createReceiptSigner(key: SignerKey, options: { issuer: string; ttlSeconds: number }): ReceiptSigner {
  const { privateKey, kid, alg } = key;
  const { issuer, ttlSeconds } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new ToolgateError('TG_CONFIG_INVALID', 'receipts.ttl must be a whole number of seconds above zero', {
      details: { field: 'receipts.ttl' },
    });
  }
  const receiptHeader = encodeJson({ alg, kid, typ: RECEIPT_TYP });
  const payloadHeader = encodeJson({ alg, kid });
  const jwks = deepFreeze({ keys: key.publicKeys.map((k) => ({ ...k })) });
  // Ed25519 signs the message itself; ES256 needs the JOSE (r||s) encoding, not DER.
  const signInput = (input: string): string => {
    const data = Buffer.from(input, 'utf8');
    const signature =
      alg === 'EdDSA'
        ? signBytes(null, data, privateKey)
        : signBytes('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };

  return {
    kid,
    alg,
    issuer,
    ttlSeconds,
    jwks: () => jwks,
    sign(input, now = Date.now()) {
      try {
        const iat = Math.floor(now / 1000);
        const exp = iat + ttlSeconds;
        const jti = input.jti ?? randomUUID();
        const claims: ReceiptClaims = {
          iss: issuer,
          sub: input.sub,
          aud: input.aud,
          iat,
          exp,
          jti,
          tool: input.tool,
          decision: input.decision,
          rules: input.rules,
          policy: input.policy,
          args_sha256: input.args_sha256,
          ...(input.approval === undefined ? {} : { approval: input.approval }),
        };
        return Promise.resolve({ token: signInput(`${receiptHeader}.${encodeJson(claims)}`), jti, exp });
      } catch (e) {
        return Promise.reject(signFailed(e));
      }
    },
    signPayload(payload) {
      try {
        return Promise.resolve(signInput(`${payloadHeader}.${encodeJson(payload)}`));
      } catch (e) {
        return Promise.reject(signFailed(e));
      }
    },
  };
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function signFailed(cause: unknown): ToolgateError {
  return new ToolgateError('TG_SIGN_FAILED', 'could not sign the receipt', { cause });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
