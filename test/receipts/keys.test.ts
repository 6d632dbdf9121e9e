import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argsSha256 } from '../../src/receipts/digest.js';
import { generateKeyFiles, KEY_FILE, loadReceiptSigner, rotateKeys } from '../../src/receipts/keys.js';
import { ARCHIVE_FILE, JWKS_FILE, readAllPublicKeys } from '../../src/receipts/jwks.js';
import { CLOCK_SKEW_SECONDS, verifyReceiptToken } from '../../src/receipts/verify.js';
import { ARGS, input, tempDir } from './helpers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const TTL = 120;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const readJson = async (path: string): Promise<{ keys: (JWK & { retired_at?: number })[] } & JWK> =>
  JSON.parse(await readFile(path, 'utf8')) as { keys: JWK[] } & JWK;
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

async function verifiesWith(jwksPath: string, token: string, now = NOW): Promise<boolean> {
  const keys = createLocalJWKSet(await readJson(jwksPath));
  try {
    await verifyReceiptToken(token, { keys, now });
    return true;
  } catch {
    return false;
  }
}

describe('generateKeyFiles', () => {
  it.each(['EdDSA', 'ES256'] as const)('writes a 0600 private %s JWK and a public JWKS whose kid is the thumbprint', async (alg) => {
    const out = join(dir, 'keys');
    const made = await generateKeyFiles(out, alg);
    expect(made.keyPath).toBe(join(out, KEY_FILE));
    expect(made.jwksPath).toBe(join(out, JWKS_FILE));
    expect(await mode(made.keyPath)).toBe(0o600);
    const priv = await readJson(made.keyPath);
    expect(priv.d).toBeTypeOf('string');
    expect(priv).toMatchObject({ kid: made.kid, alg });
    const jwks = await readJson(made.jwksPath);
    expect(jwks.keys).toHaveLength(1);
    const pub = jwks.keys[0] as JWK;
    expect(pub).not.toHaveProperty('d');
    expect(pub).toMatchObject({ kid: made.kid, alg, use: 'sig' });
    expect(await calculateJwkThumbprint(pub, 'sha256')).toBe(made.kid);
  });

  it('refuses to overwrite an existing key', async () => {
    await generateKeyFiles(dir);
    const before = await readFile(join(dir, KEY_FILE), 'utf8');
    await expect(generateKeyFiles(dir)).rejects.toMatchObject({ code: 'TG_USAGE' });
    expect(await readFile(join(dir, KEY_FILE), 'utf8')).toBe(before);
  });
});

describe('loadReceiptSigner', () => {
  it('without a key path makes an ephemeral Ed25519 signer', async () => {
    const { signer, ephemeral } = await loadReceiptSigner({ issuer: 'g', ttlSeconds: TTL });
    expect(ephemeral).toBe(true);
    expect(signer.alg).toBe('EdDSA');
    const { token } = await signer.sign(input(), NOW);
    await expect(verifyReceiptToken(token, { keys: createLocalJWKSet(signer.jwks()), now: NOW })).resolves.toBeDefined();
  });

  it('loads a generated key: same kid, receipts verify against jwks.json', async () => {
    const made = await generateKeyFiles(dir, 'ES256');
    const { signer, ephemeral } = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL });
    expect(ephemeral).toBe(false);
    expect(signer).toMatchObject({ kid: made.kid, alg: 'ES256', issuer: 'g' });
    const { token } = await signer.sign(input({}, argsSha256(ARGS)), NOW);
    expect(await verifiesWith(made.jwksPath, token)).toBe(true);
  });

  it('refuses a missing key file with TG_KEY_INVALID naming the file', async () => {
    const keyPath = join(dir, 'nope.json');
    await expect(loadReceiptSigner({ keyPath, issuer: 'g', ttlSeconds: TTL })).rejects.toMatchObject({
      code: 'TG_KEY_INVALID',
      details: { file: keyPath },
    });
  });

  it.each([
    ['not JSON', 'SECRETSTUFF{'],
    ['a public key only', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'SECRETSTUFF' })],
    ['an RSA key', JSON.stringify({ kty: 'RSA', n: 'SECRETSTUFF', e: 'AQAB', d: 'SECRETSTUFF' })],
    ['garbage key material', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'SECRETSTUFF', d: 'SECRETSTUFF' })],
  ])('refuses a key file holding %s, naming the file but not its content', async (_what, text) => {
    const keyPath = join(dir, KEY_FILE);
    await writeFile(keyPath, text);
    const error = await loadReceiptSigner({ keyPath, issuer: 'g', ttlSeconds: TTL }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TG_KEY_INVALID', details: { file: keyPath } });
    expect((error as Error).message).toContain(keyPath);
    expect((error as Error).message).not.toContain('SECRETSTUFF');
  });

  it('refuses a key file whose public part does not match its private part', async () => {
    const a = await generateKeyFiles(join(dir, 'a'));
    const b = await generateKeyFiles(join(dir, 'b'));
    const mixed = { ...(await readJson(a.keyPath)), x: (await readJson(b.keyPath)).x };
    await writeFile(a.keyPath, JSON.stringify(mixed));
    await expect(loadReceiptSigner({ keyPath: a.keyPath, issuer: 'g', ttlSeconds: TTL })).rejects.toMatchObject({ code: 'TG_KEY_INVALID' });
  });

  it('refuses a jwks.json holding a private key', async () => {
    const made = await generateKeyFiles(dir);
    await writeFile(made.jwksPath, JSON.stringify({ keys: [await readJson(made.keyPath)] }));
    await expect(loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL })).rejects.toMatchObject({
      code: 'TG_KEY_INVALID',
      details: { file: made.jwksPath },
    });
  });

  it('publishes retained keys that may still have live receipts, not expired ones', async () => {
    const made = await generateKeyFiles(dir);
    const first = await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW });
    await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW + 60_000 });
    const soon = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL, now: NOW + 90_000 });
    expect(soon.signer.jwks().keys.map((k) => k.kid)).toEqual([expect.any(String), first.kid, made.kid]);
    const later = NOW + (TTL + CLOCK_SKEW_SECONDS + 1) * 1000;
    const late = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL, now: later });
    expect(late.signer.jwks().keys.map((k) => k.kid)).not.toContain(made.kid);
    expect(late.signer.jwks().keys.map((k) => k.kid)).toContain(first.kid);
    expect(late.signer.jwks().keys.every((k) => !('retired_at' in k))).toBe(true);
  });
});

describe('rotateKeys', () => {
  it('writes a new 0600 active key and keeps the old public key, so old receipts still verify', async () => {
    const made = await generateKeyFiles(dir);
    const old = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL });
    const oldToken = (await old.signer.sign(input(), NOW)).token;

    const rotated = await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW });
    expect(rotated).toMatchObject({ previousKid: made.kid, alg: 'EdDSA', retained: [made.kid], pruned: [] });
    expect(rotated.kid).not.toBe(made.kid);
    expect(await mode(made.keyPath)).toBe(0o600);
    expect((await readJson(made.keyPath)).kid).toBe(rotated.kid);

    const jwks = await readJson(made.jwksPath);
    expect(jwks.keys.map((k) => k.kid)).toEqual([rotated.kid, made.kid]);
    expect(jwks.keys[1]?.retired_at).toBe(NOW / 1000);
    expect(await verifiesWith(made.jwksPath, oldToken)).toBe(true);

    const fresh = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL });
    expect(fresh.signer.kid).toBe(rotated.kid);
    expect(await verifiesWith(made.jwksPath, (await fresh.signer.sign(input(), NOW)).token)).toBe(true);
  });

  it('prunes retired keys once every receipt they signed has expired', async () => {
    const made = await generateKeyFiles(dir);
    const second = await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW });
    const third = await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW + (TTL + CLOCK_SKEW_SECONDS) * 1000 });
    expect(third.pruned).toEqual([made.kid]);
    expect(third.retained).toEqual([second.kid]);
    expect((await readJson(made.jwksPath)).keys.map((k) => k.kid)).toEqual([third.kid, second.kid]);
  });

  it('moves pruned keys to jwks.archive.json, where log checkpoints can still be verified', async () => {
    const made = await generateKeyFiles(dir);
    const old = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: TTL });
    const checkpoint = await old.signer.signPayload({ typ: 'toolgate-log-checkpoint', lines: 1 });
    await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW });
    await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW + (TTL + CLOCK_SKEW_SECONDS) * 1000 });
    expect((await readJson(join(dir, ARCHIVE_FILE))).keys.map((k) => k.kid)).toEqual([made.kid]);
    const all = (await readAllPublicKeys(made.keyPath)) ?? [];
    expect(all.map((k) => k.kid)).toContain(made.kid);
    await expect(compactVerify(checkpoint, createLocalJWKSet({ keys: all }))).resolves.toBeTruthy();
  });

  it('keeps a retired key while its receipts may still be valid', async () => {
    const made = await generateKeyFiles(dir);
    await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW });
    const next = await rotateKeys(made.keyPath, { ttlSeconds: TTL, now: NOW + (TTL + CLOCK_SKEW_SECONDS - 1) * 1000 });
    expect(next.pruned).toEqual([]);
    expect(next.retained).toContain(made.kid);
  });

  it('can switch algorithm', async () => {
    const made = await generateKeyFiles(dir);
    const rotated = await rotateKeys(made.keyPath, { alg: 'ES256', ttlSeconds: TTL, now: NOW });
    expect(rotated.alg).toBe('ES256');
    expect((await readJson(made.keyPath)).kty).toBe('EC');
  });

  it('refuses to rotate a missing key with TG_KEY_INVALID', async () => {
    await expect(rotateKeys(join(dir, KEY_FILE), { ttlSeconds: TTL })).rejects.toMatchObject({ code: 'TG_KEY_INVALID' });
  });
});
