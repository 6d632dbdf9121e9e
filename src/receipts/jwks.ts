/** The JWKS file beside the key (`jwks.json`): the active public key plus retired ones still needed. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';
import { ToolgateError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { CLOCK_SKEW_SECONDS } from './skew.js';

/** The JWKS file's name, in the key file's folder. */
export const JWKS_FILE = 'jwks.json';

/** A published public key. `retired_at` (seconds since the epoch) is set once it stops signing. */
export type PublishedKey = JWK & { kid: string; retired_at?: number };

const jwksFileSchema = z.looseObject({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string().min(1),
      retired_at: z.number().int().optional(),
      d: z.never().optional(),
    }),
  ),
});

/** Where public keys go once their receipts have all expired: kept so old log checkpoints still verify. */
export const ARCHIVE_FILE = 'jwks.archive.json';

/** `…/gateway.key.json` → `…/jwks.json`. */
export function jwksPathFor(keyPath: string): string {
  return join(dirname(keyPath), JWKS_FILE);
}

/** `…/gateway.key.json` → `…/jwks.archive.json`. */
export function archivePathFor(keyPath: string): string {
  return join(dirname(keyPath), ARCHIVE_FILE);
}

/**
 * Every public key the gateway key folder has ever published: `jwks.json` and the archive.
 * What `logs verify` checks checkpoint signatures against. Throws like `readJwksFile`.
 */
export async function readAllPublicKeys(keyPath: string): Promise<PublishedKey[] | undefined> {
  const current = await readJwksFile(jwksPathFor(keyPath));
  const archived = (await readJwksFile(archivePathFor(keyPath))) ?? [];
  if (current === undefined && archived.length === 0) return undefined;
  const seen = new Set<string>();
  return [...(current ?? []), ...archived].filter((k) => (seen.has(k.kid) ? false : (seen.add(k.kid), true)));
}

/**
 * Reads a JWKS file; `undefined` when it does not exist. Throws `TG_KEY_INVALID` naming the
 * file when it cannot be read or is not a JWKS of public keys with `kid`s.
 */
export async function readJwksFile(path: string): Promise<PublishedKey[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ToolgateError('TG_KEY_INVALID', `cannot read JWKS file ${path}`, { cause: e, details: { file: path } });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ToolgateError('TG_KEY_INVALID', `JWKS file ${path} is not valid JSON`, { cause: e, details: { file: path } });
  }
  const parsed = jwksFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new ToolgateError('TG_KEY_INVALID', `JWKS file ${path} is not a JWKS of public keys with kids`, {
      details: { file: path },
    });
  }
  return parsed.data.keys as PublishedKey[];
}

/** Writes the JWKS file atomically, mode 0644 (public keys only). */
export async function writeJwksFile(path: string, keys: readonly PublishedKey[]): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ keys }, null, 2)}\n`, 0o644);
}

/**
 * True while receipts signed with `key` may still verify: it is active, or it retired less than
 * `ttlSeconds` + clock skew ago. `now` in milliseconds.
 */
export function stillNeeded(key: PublishedKey, ttlSeconds: number, now: number): boolean {
  if (key.retired_at === undefined) return true;
  return now / 1000 < key.retired_at + ttlSeconds + CLOCK_SKEW_SECONDS;
}

/** The key as served (`/.well-known/jwks.json`): standard members only. */
export function servedKey(key: PublishedKey): JWK {
  const { retired_at: _retired, ...rest } = key;
  return rest;
}
