/** `verifyReceipt`: the one call an upstream author needs to check a toolgate receipt. */
import type { JSONWebKeySet } from 'jose';
import { argsSha256 } from '../receipts/digest.js';
import { keyLookup, type JwksSource, type KeyLookup } from '../receipts/key-source.js';
import { MemoryReplayCache, type ReplayCache } from '../receipts/replay.js';
import type { ReceiptClaims } from '../receipts/sign.js';
import { verifyReceiptToken } from '../receipts/verify.js';

/** What a receipt must match. */
export interface VerifyReceiptOptions {
  /** Public keys: a JWKS object, a JWKS file path, or an https URL (e.g. the gateway's `/.well-known/jwks.json`). */
  readonly jwks: JwksSource;
  /** This upstream's name in the gateway's config (the `aud` claim). */
  readonly audience: string;
  /** The tool being called, by this server's own name. */
  readonly tool: string;
  /** The call's arguments exactly as received (`undefined` counts as `{}`); compared by RFC 8785 hash. */
  readonly args: unknown;
  /** The gateway's name (`iss`); checked when given. */
  readonly issuer?: string;
  /** Where used `jti`s are remembered; default: one in-memory cache per process. */
  readonly replay?: ReplayCache;
  /** Clock, milliseconds since the epoch; default `Date.now()`. */
  readonly now?: number;
}

const defaultReplay = new MemoryReplayCache();
const lookupsByText = new Map<string, Promise<KeyLookup>>();
const lookupsBySet = new WeakMap<JSONWebKeySet, Promise<KeyLookup>>();

/**
 * Verifies a receipt and spends its `jti`: signature (EdDSA or ES256 only), `kid`, `typ`, `exp`
 * and `iat` (30 s clock skew), `aud`, `tool`, `args_sha256`, then single use. Returns the claims.
 * Throws a ToolgateError with code `TG_RECEIPT_INVALID` and `details.reason` (`missing`,
 * `expired`, `bad-signature`, `unknown-kid`, `wrong-audience`, `wrong-tool`, `args-mismatch`,
 * `replayed`, `alg-not-allowed`, …); `TG_FILE_NOT_FOUND` / `TG_KEY_INVALID` / `TG_USAGE` when
 * the JWKS source itself is unusable. Key sets are built once per source and reused.
 */
export async function verifyReceipt(token: unknown, options: VerifyReceiptOptions): Promise<ReceiptClaims> {
  const keys = await cachedLookup(options.jwks);
  const { claims } = await verifyReceiptToken(token, {
    keys,
    audience: options.audience,
    tool: options.tool,
    argsSha256: argsSha256(options.args),
    replay: options.replay ?? defaultReplay,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return claims;
}

/** The key lookup for a source, built on first use; a failed build is not cached. */
export function cachedLookup(source: JwksSource): Promise<KeyLookup> {
  const cached = typeof source === 'string' ? lookupsByText.get(source) : lookupsBySet.get(source);
  if (cached) return cached;
  const built = keyLookup(source);
  const forget = (): void => {
    if (typeof source === 'string') lookupsByText.delete(source);
    else lookupsBySet.delete(source);
  };
  built.catch(forget);
  if (typeof source === 'string') lookupsByText.set(source, built);
  else lookupsBySet.set(source, built);
  return built;
}
