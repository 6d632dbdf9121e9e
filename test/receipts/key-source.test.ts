import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyLookup } from '../../src/receipts/key-source.js';
import { generateKeyFiles, loadReceiptSigner, rotateKeys } from '../../src/receipts/keys.js';
import { verifyReceiptToken } from '../../src/receipts/verify.js';
import { input, makeKey, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('keyLookup', () => {
  it('takes a JWKS object', async () => {
    const key = await makeKey();
    const keys = await keyLookup(key.signer.jwks());
    await expect(verifyReceiptToken((await key.signer.sign(input())).token, { keys })).resolves.toBeDefined();
  });

  it('takes a JWKS file and rereads it after a rotation adds a key', async () => {
    const made = await generateKeyFiles(dir);
    const keys = await keyLookup(made.jwksPath);
    await rotateKeys(made.keyPath, { ttlSeconds: 120 });
    const { signer } = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'g', ttlSeconds: 120 });
    await expect(verifyReceiptToken((await signer.sign(input())).token, { keys })).resolves.toBeDefined();
  });

  it('takes an http URL on loopback and fetches the JWKS from it', async () => {
    const key = await makeKey();
    const server: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(key.signer.jwks()));
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const { port } = server.address() as AddressInfo;
      const keys = await keyLookup(`http://127.0.0.1:${port}/.well-known/jwks.json`);
      await expect(verifyReceiptToken((await key.signer.sign(input())).token, { keys })).resolves.toBeDefined();
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('refuses plain http to another host with TG_USAGE', async () => {
    await expect(keyLookup('http://example.com/jwks.json')).rejects.toMatchObject({ code: 'TG_USAGE' });
    await expect(keyLookup('ftp://127.0.0.1/jwks.json')).rejects.toMatchObject({ code: 'TG_USAGE' });
  });

  it('refuses a missing file with TG_FILE_NOT_FOUND and a malformed one with TG_KEY_INVALID', async () => {
    await expect(keyLookup(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"keys": 3}');
    await expect(keyLookup(bad)).rejects.toMatchObject({ code: 'TG_KEY_INVALID', details: { file: bad } });
    await writeFile(bad, 'nope');
    await expect(keyLookup(bad)).rejects.toMatchObject({ code: 'TG_KEY_INVALID' });
  });

  it('refuses a receipt when the JWKS URL is unreachable, as jwks-unavailable', async () => {
    const key = await makeKey();
    const server = createServer();
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const keys = await keyLookup(`http://127.0.0.1:${port}/jwks.json`);
    await expect(verifyReceiptToken((await key.signer.sign(input())).token, { keys })).rejects.toMatchObject({
      code: 'TG_RECEIPT_INVALID',
      details: { reason: 'jwks-unavailable' },
    });
  });
});
