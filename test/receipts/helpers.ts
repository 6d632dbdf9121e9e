// Test helpers for receipts: real keys, real signers, tokens forged by hand for the adversarial cases.
import { createPublicKey, createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createReceiptSigner, type ReceiptAlg, type ReceiptInput, type ReceiptSigner } from '../../src/receipts/sign.js';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly kid: string;
  readonly alg: ReceiptAlg;
  readonly publicJwk: JWK;
  readonly signer: ReceiptSigner;
}

export async function makeKey(alg: ReceiptAlg = 'EdDSA', ttlSeconds = 120, issuer = 'demo-gateway'): Promise<TestKey> {
  const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const publicJwk: JWK = { ...pub, kid, alg, use: 'sig' };
  const signer = createReceiptSigner({ privateKey, kid, alg, publicKeys: [publicJwk] }, { issuer, ttlSeconds });
  return { privateKey, kid, alg, publicJwk, signer };
}

export const ARGS = { path: './sandbox/notes.txt', options: { encoding: 'utf8', limit: 10 } };

export function input(overrides: Partial<ReceiptInput> = {}, argsSha = ''): ReceiptInput {
  return {
    sub: 'alice',
    aud: 'filesystem',
    tool: 'read_text_file',
    decision: 'allow',
    rules: ['read-sandbox'],
    policy: 'f'.repeat(64),
    args_sha256: argsSha || '0'.repeat(64),
    ...overrides,
  };
}

export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h = '', p = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
    signature,
  };
}

/** An HS256 token whose HMAC secret is the given bytes (the classic public-key-as-secret forgery). */
export function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Buffer | string): string {
  const input = `${b64json({ ...header, alg: 'HS256' })}.${b64json(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'toolgate-receipts-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
