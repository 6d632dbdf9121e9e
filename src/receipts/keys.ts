/** Gateway signing keys: generate, load (or make an ephemeral one), rotate; kid is the RFC 7638 thumbprint. */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import { ToolgateError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { archivePathFor, jwksPathFor, readJwksFile, servedKey, stillNeeded, writeJwksFile, type PublishedKey } from './jwks.js';
import { createReceiptSigner, type ReceiptAlg, type ReceiptSigner } from './sign.js';

/** The private key file's name in `keys generate --out DIR`. */
export const KEY_FILE = 'gateway.key.json';

/** Printed by whoever starts a gateway without `receipts.key`. */
export const EPHEMERAL_KEY_WARNING =
  'no receipts.key configured: signing with an ephemeral key that dies with this process; upstreams cannot verify receipts across restarts (run `toolgate keys generate --out keys` and set receipts.key)';

/** A private key, imported once, with its published public half. */
interface GatewayKey {
  readonly privateKey: KeyObject;
  readonly alg: ReceiptAlg;
  readonly kid: string;
  /** Public JWK with kid, alg and use. */
  readonly publicJwk: PublishedKey;
  /** Private JWK as written to the key file. */
  readonly privateJwk: JWK;
}

/** What `generateKeyFiles` wrote. */
export interface GeneratedKeys {
  readonly keyPath: string;
  readonly jwksPath: string;
  readonly kid: string;
  readonly alg: ReceiptAlg;
}

/**
 * Writes `dir/gateway.key.json` (private JWK, mode 0600) and `dir/jwks.json` (public), creating
 * `dir` if needed. Refuses (`TG_USAGE`) to overwrite an existing key: that is `keys rotate`'s job.
 */
export async function generateKeyFiles(dir: string, alg: ReceiptAlg = 'EdDSA'): Promise<GeneratedKeys> {
  const keyPath = resolve(dir, KEY_FILE);
  const jwksPath = jwksPathFor(keyPath);
  const key = await newKey(alg);
  try {
    await mkdir(resolve(dir), { recursive: true });
    await writeFileAtomic(keyPath, keyFileText(key), 0o600, true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ToolgateError('TG_USAGE', `${keyPath} already exists; use \`toolgate keys rotate\` to replace it`, {
        details: { file: keyPath },
      });
    }
    throw new ToolgateError('TG_KEY_INVALID', `cannot write key file ${keyPath}: ${errnoOf(e)}`, { cause: e, details: { file: keyPath } });
  }
  await writeJwks(jwksPath, [key.publicJwk]);
  return { keyPath, jwksPath, kid: key.kid, alg };
}

/** Options for `loadReceiptSigner`. */
export interface LoadSignerOptions {
  /** Absolute path of the private JWK; absent → an ephemeral Ed25519 key. */
  readonly keyPath?: string;
  /** The `iss` claim (gateway name). */
  readonly issuer: string;
  readonly ttlSeconds: number;
  /** Milliseconds since the epoch; decides which retired keys are still published. */
  readonly now?: number;
}

/**
 * Imports the gateway key once and builds the signer. Without `keyPath`, makes an ephemeral
 * Ed25519 key (`ephemeral: true`: print `EPHEMERAL_KEY_WARNING`). The signer's JWKS is the
 * active key plus the retained keys of `jwks.json` beside the key file that may still have valid
 * receipts. Throws `TG_KEY_INVALID` naming the file (never its content) when the key or JWKS
 * file is unreadable or malformed.
 */
export async function loadReceiptSigner(options: LoadSignerOptions): Promise<{ signer: ReceiptSigner; ephemeral: boolean }> {
  const { keyPath, issuer, ttlSeconds } = options;
  if (keyPath === undefined) {
    const key = await newKey('EdDSA');
    return { signer: signerFor(key, [key.publicJwk], issuer, ttlSeconds), ephemeral: true };
  }
  const now = options.now ?? Date.now();
  const key = await readKeyFile(keyPath);
  const published = (await readJwksFile(jwksPathFor(keyPath))) ?? [];
  const retained = published.filter((k) => k.kid !== key.kid && stillNeeded(k, ttlSeconds, now));
  return { signer: signerFor(key, [key.publicJwk, ...retained], issuer, ttlSeconds), ephemeral: false };
}

/** What `rotateKeys` did. */
export interface RotatedKeys {
  readonly keyPath: string;
  readonly jwksPath: string;
  readonly kid: string;
  readonly alg: ReceiptAlg;
  readonly previousKid: string;
  /** Older public keys still published (receipts signed with them may not have expired yet). */
  readonly retained: readonly string[];
  /** Public keys removed: every receipt they signed has expired. */
  readonly pruned: readonly string[];
}

/**
 * Makes a new active key at `keyPath` (mode 0600, same algorithm unless `alg` is given). The old
 * public key stays in `jwks.json` with `retired_at` = now; retired keys older than `ttlSeconds`
 * plus clock skew are pruned from it into `jwks.archive.json`, where `logs verify` still finds them. The JWKS is written before the key, so every receipt the new key
 * signs can be verified. `now` in milliseconds. Throws `TG_KEY_INVALID` naming the file.
 * A running gateway keeps signing with the key it loaded until it is restarted.
 */
export async function rotateKeys(
  keyPath: string,
  options: { alg?: ReceiptAlg; ttlSeconds: number; now?: number },
): Promise<RotatedKeys> {
  const now = options.now ?? Date.now();
  const current = await readKeyFile(keyPath);
  const jwksPath = jwksPathFor(keyPath);
  const next = await newKey(options.alg ?? current.alg);
  const published = (await readJwksFile(jwksPath)) ?? [];
  const older = published.filter((k) => k.kid !== current.kid && k.kid !== next.kid);
  const kept = older.filter((k) => stillNeeded(k, options.ttlSeconds, now));
  const pruned = older.filter((k) => !kept.includes(k)).map((k) => k.kid);
  const retired: PublishedKey = { ...current.publicJwk, retired_at: Math.floor(now / 1000) };
  if (pruned.length > 0) {
    // Pruned keys leave the published JWKS but stay in the archive: old log checkpoints need them.
    const archivePath = archivePathFor(keyPath);
    const archived = (await readJwksFile(archivePath)) ?? [];
    const gone = older.filter((k) => !kept.includes(k) && !archived.some((a) => a.kid === k.kid));
    await writeJwksFile(archivePath, [...archived, ...gone]);
  }
  await writeJwks(jwksPath, [next.publicJwk, retired, ...kept]);
  try {
    await writeFileAtomic(keyPath, keyFileText(next), 0o600);
  } catch (e) {
    throw new ToolgateError('TG_KEY_INVALID', `cannot write key file ${keyPath}: ${errnoOf(e)}`, { cause: e, details: { file: keyPath } });
  }
  return {
    keyPath,
    jwksPath,
    kid: next.kid,
    alg: next.alg,
    previousKid: current.kid,
    retained: [current.kid, ...kept.map((k) => k.kid)],
    pruned,
  };
}

const privateJwkSchema = z.union([
  z.looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), d: z.string().min(1), x: z.string().min(1) }),
  z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), d: z.string().min(1), x: z.string().min(1), y: z.string().min(1) }),
]);

// Reads and imports a private JWK. Messages name the file and what is wrong, never key material.
async function readKeyFile(keyPath: string): Promise<GatewayKey> {
  const invalid = (what: string, cause?: unknown): ToolgateError =>
    new ToolgateError('TG_KEY_INVALID', `key file ${keyPath} ${what}`, { cause, details: { file: keyPath } });
  let text: string;
  try {
    text = await readFile(keyPath, 'utf8');
  } catch (e) {
    throw invalid(`cannot be read: ${errnoOf(e)}`, e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('is not valid JSON');
  }
  const parsed = privateJwkSchema.safeParse(value);
  if (!parsed.success) throw invalid('is not an Ed25519 (OKP) or P-256 (EC) private JWK');
  const jwk = parsed.data;
  const alg: ReceiptAlg = jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  if (jwk.alg !== undefined && jwk.alg !== alg) throw invalid(`says alg ${String(jwk.alg)} but holds a key for ${alg}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw invalid('does not hold a usable private key');
  }
  const key = await describe(privateKey, alg);
  const publicPart = jwk.kty === 'OKP' ? [jwk.x] : [jwk.x, jwk.y];
  const derived = jwk.kty === 'OKP' ? [key.publicJwk.x] : [key.publicJwk.x, key.publicJwk.y];
  if (publicPart.some((part, i) => part !== derived[i])) throw invalid('has a public part that does not match its private part');
  return key;
}

async function newKey(alg: ReceiptAlg): Promise<GatewayKey> {
  const { privateKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return describe(privateKey, alg);
}

async function describe(privateKey: KeyObject, alg: ReceiptAlg): Promise<GatewayKey> {
  const pub = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const bare: JWK = pub.kty === 'OKP' ? { kty: 'OKP', crv: pub.crv, x: pub.x } : { kty: 'EC', crv: pub.crv, x: pub.x, y: pub.y };
  const kid = await calculateJwkThumbprint(bare, 'sha256');
  const publicJwk: PublishedKey = { ...bare, kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return { privateKey, alg, kid, publicJwk, privateJwk };
}

function signerFor(key: GatewayKey, published: readonly PublishedKey[], issuer: string, ttlSeconds: number): ReceiptSigner {
  return createReceiptSigner(
    { privateKey: key.privateKey, kid: key.kid, alg: key.alg, publicKeys: published.map(servedKey) },
    { issuer, ttlSeconds },
  );
}

function keyFileText(key: GatewayKey): string {
  return `${JSON.stringify(key.privateJwk, null, 2)}\n`;
}

async function writeJwks(path: string, keys: readonly PublishedKey[]): Promise<void> {
  try {
    await writeJwksFile(path, keys);
  } catch (e) {
    throw new ToolgateError('TG_KEY_INVALID', `cannot write JWKS file ${path}: ${errnoOf(e)}`, { cause: e, details: { file: path } });
  }
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' ? 'no such file' : (code ?? 'error');
}

/** `dir/gateway.key.json`, resolved. */
export function keyPathIn(dir: string): string {
  return join(resolve(dir), KEY_FILE);
}
