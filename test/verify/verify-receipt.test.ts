import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argsSha256 } from '../../src/receipts/digest.js';
import { generateKeyFiles, loadReceiptSigner } from '../../src/receipts/keys.js';
import { MemoryReplayCache } from '../../src/receipts/replay.js';
import { verifyReceipt } from '../../src/verify/index.js';
import { ARGS, input, makeKey, tempDir } from '../receipts/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const base = { audience: 'filesystem', tool: 'read_text_file', args: ARGS };

describe('verifyReceipt', () => {
  it('accepts a receipt against a JWKS object and returns its claims', async () => {
    const key = await makeKey();
    const { token, jti } = await key.signer.sign(input({}, argsSha256(ARGS)));
    const claims = await verifyReceipt(token, { ...base, jwks: key.signer.jwks(), replay: new MemoryReplayCache() });
    expect(claims).toMatchObject({ jti, sub: 'alice', aud: 'filesystem', tool: 'read_text_file' });
  });

  it('accepts a receipt against a JWKS file path', async () => {
    const made = await generateKeyFiles(dir);
    const { signer } = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'demo-gateway', ttlSeconds: 120 });
    const { token } = await signer.sign(input({}, argsSha256(ARGS)));
    await expect(verifyReceipt(token, { ...base, jwks: made.jwksPath, issuer: 'demo-gateway' })).resolves.toBeDefined();
  });

  it('spends each jti once by default, across calls', async () => {
    const key = await makeKey();
    const { token } = await key.signer.sign(input({}, argsSha256(ARGS)));
    const jwks = key.signer.jwks();
    await verifyReceipt(token, { ...base, jwks });
    await expect(verifyReceipt(token, { ...base, jwks })).rejects.toMatchObject({
      code: 'TG_RECEIPT_INVALID',
      details: { reason: 'replayed' },
    });
  });

  it('compares arguments by canonical hash: reordered pass, one character changed fails', async () => {
    const key = await makeKey();
    const jwks = key.signer.jwks();
    const first = (await key.signer.sign(input({}, argsSha256(ARGS)))).token;
    await expect(verifyReceipt(first, { ...base, jwks, args: { options: { limit: 10, encoding: 'utf8' }, path: ARGS.path } })).resolves.toBeDefined();
    const second = (await key.signer.sign(input({}, argsSha256(ARGS)))).token;
    await expect(verifyReceipt(second, { ...base, jwks, args: { ...ARGS, path: `${ARGS.path} ` } })).rejects.toMatchObject({
      details: { reason: 'args-mismatch' },
    });
  });

  it('refuses a receipt for another audience or tool', async () => {
    const key = await makeKey();
    const jwks = key.signer.jwks();
    const sign = async (): Promise<string> => (await key.signer.sign(input({}, argsSha256(ARGS)))).token;
    await expect(verifyReceipt(await sign(), { ...base, jwks, audience: 'payments' })).rejects.toMatchObject({ details: { reason: 'wrong-audience' } });
    await expect(verifyReceipt(await sign(), { ...base, jwks, tool: 'write_file' })).rejects.toMatchObject({ details: { reason: 'wrong-tool' } });
  });

  it('refuses when there is no receipt', async () => {
    const key = await makeKey();
    await expect(verifyReceipt(undefined, { ...base, jwks: key.signer.jwks() })).rejects.toMatchObject({ details: { reason: 'missing' } });
  });

  it('reports an unreadable JWKS file as TG_FILE_NOT_FOUND, and retries it later', async () => {
    const key = await makeKey();
    const { token } = await key.signer.sign(input({}, argsSha256(ARGS)));
    const path = `${dir}/later.json`;
    await expect(verifyReceipt(token, { ...base, jwks: path })).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, JSON.stringify(key.signer.jwks()));
    await expect(verifyReceipt(token, { ...base, jwks: path })).resolves.toBeDefined();
  });
});
