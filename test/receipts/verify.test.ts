import { createLocalJWKSet, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { argsSha256 } from '../../src/receipts/digest.js';
import { MemoryReplayCache } from '../../src/receipts/replay.js';
import { RECEIPT_TYP } from '../../src/receipts/sign.js';
import { CLOCK_SKEW_SECONDS, verifyReceiptToken, type VerifyChecks } from '../../src/receipts/verify.js';
import { ARGS, b64json, hs256, input, makeKey, parts, type TestKey } from './helpers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const TTL = 120;

let gateway: TestKey;
let stranger: TestKey;
let checks: VerifyChecks;

beforeAll(async () => {
  gateway = await makeKey('EdDSA', TTL);
  stranger = await makeKey('EdDSA', TTL);
  checks = {
    keys: createLocalJWKSet(gateway.signer.jwks()),
    audience: 'filesystem',
    tool: 'read_text_file',
    argsSha256: argsSha256(ARGS),
    issuer: 'demo-gateway',
    now: NOW,
  };
});

async function goodToken(now = NOW): Promise<string> {
  return (await gateway.signer.sign(input({}, argsSha256(ARGS)), now)).token;
}

async function refusal(token: unknown, override: Partial<VerifyChecks> = {}): Promise<unknown> {
  try {
    await verifyReceiptToken(token, { ...checks, ...override });
  } catch (e) {
    return e;
  }
  throw new Error('receipt was accepted');
}

function expectRefused(error: unknown, reason: string): void {
  expect(error).toMatchObject({ code: 'TG_RECEIPT_INVALID', details: { reason } });
  expect(String((error as Error).message)).not.toContain('\n');
}

describe('verifyReceiptToken', () => {
  it('accepts a good receipt and returns its claims and header', async () => {
    const { claims, header } = await verifyReceiptToken(await goodToken(), checks);
    expect(header).toEqual({ alg: 'EdDSA', kid: gateway.kid });
    expect(claims).toMatchObject({ sub: 'alice', aud: 'filesystem', tool: 'read_text_file', decision: 'allow' });
  });

  it('accepts an ES256 receipt', async () => {
    const es = await makeKey('ES256', TTL);
    const token = (await es.signer.sign(input({}, argsSha256(ARGS)), NOW)).token;
    const { header } = await verifyReceiptToken(token, { ...checks, keys: createLocalJWKSet(es.signer.jwks()) });
    expect(header.alg).toBe('ES256');
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await goodToken()).split('.');
    const payload = { ...parts(await goodToken()).payload, tool: 'write_file' };
    expectRefused(await refusal(`${h}.${b64json(payload)}.${s}`, { tool: 'write_file' }), 'bad-signature');
  });

  it('refuses a tampered signature', async () => {
    const [h, p, s = ''] = (await goodToken()).split('.');
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expectRefused(await refusal(`${h}.${p}.${flipped}`), 'bad-signature');
  });

  it('refuses alg none', async () => {
    const { header, payload } = parts(await goodToken());
    expectRefused(await refusal(`${b64json({ ...header, alg: 'none' })}.${b64json(payload)}.`), 'alg-not-allowed');
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const { header, payload } = parts(await goodToken());
    const asJson = hs256(header, payload, JSON.stringify(gateway.publicJwk));
    const asBytes = hs256(header, payload, Buffer.from(String(gateway.publicJwk.x), 'base64url'));
    expectRefused(await refusal(asJson), 'alg-not-allowed');
    expectRefused(await refusal(asBytes), 'alg-not-allowed');
  });

  it('refuses an unknown kid', async () => {
    const token = (await stranger.signer.sign(input({}, argsSha256(ARGS)), NOW)).token;
    expectRefused(await refusal(token), 'unknown-kid');
  });

  it('refuses a receipt without a kid', async () => {
    const token = await new SignJWT({ ...parts(await goodToken()).payload })
      .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYP })
      .sign(gateway.privateKey);
    expectRefused(await refusal(token), 'unknown-kid');
  });

  it('refuses a key from another JWKS presented under our kid', async () => {
    const token = await new SignJWT({ ...parts(await goodToken()).payload })
      .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: gateway.kid })
      .sign(stranger.privateKey);
    expectRefused(await refusal(token), 'bad-signature');
  });

  it('refuses an expired receipt', async () => {
    const signedAt = NOW - (TTL + CLOCK_SKEW_SECONDS + 1) * 1000;
    expectRefused(await refusal(await goodToken(signedAt)), 'expired');
  });

  it('accepts a receipt expired by less than the clock skew', async () => {
    const signedAt = NOW - (TTL + CLOCK_SKEW_SECONDS - 2) * 1000;
    await expect(verifyReceiptToken(await goodToken(signedAt), checks)).resolves.toBeDefined();
  });

  it('refuses a receipt issued in the future beyond the clock skew', async () => {
    expectRefused(await refusal(await goodToken(NOW + (CLOCK_SKEW_SECONDS + 5) * 1000)), 'not-yet-valid');
  });

  it('accepts a receipt issued within the clock skew ahead', async () => {
    await expect(verifyReceiptToken(await goodToken(NOW + (CLOCK_SKEW_SECONDS - 5) * 1000), checks)).resolves.toBeDefined();
  });

  it('refuses an nbf in the future', async () => {
    const token = await new SignJWT({ ...parts(await goodToken()).payload, nbf: NOW / 1000 + 3600 })
      .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: gateway.kid })
      .sign(gateway.privateKey);
    expectRefused(await refusal(token), 'not-yet-valid');
  });

  it('refuses a receipt for another audience', async () => {
    expectRefused(await refusal(await goodToken(), { audience: 'payments' }), 'wrong-audience');
  });

  it('refuses a receipt for another tool', async () => {
    expectRefused(await refusal(await goodToken(), { tool: 'write_file' }), 'wrong-tool');
  });

  it('refuses a receipt from another issuer', async () => {
    expectRefused(await refusal(await goodToken(), { issuer: 'other-gateway' }), 'wrong-issuer');
  });

  it('refuses arguments changed by one character', async () => {
    const changed = { ...ARGS, path: './sandbox/notes.txu' };
    expectRefused(await refusal(await goodToken(), { argsSha256: argsSha256(changed) }), 'args-mismatch');
  });

  it('accepts the same arguments with keys reordered (canonical JSON)', async () => {
    const reordered = { options: { limit: 10, encoding: 'utf8' }, path: './sandbox/notes.txt' };
    await expect(verifyReceiptToken(await goodToken(), { ...checks, argsSha256: argsSha256(reordered) })).resolves.toBeDefined();
  });

  it('refuses a replayed jti, and does not spend a jti on a refused receipt', async () => {
    const replay = new MemoryReplayCache({ now: () => NOW });
    const token = await goodToken();
    expectRefused(await refusal(token, { replay, tool: 'write_file' }), 'wrong-tool');
    await verifyReceiptToken(token, { ...checks, replay });
    expectRefused(await refusal(token, { replay }), 'replayed');
  });

  it('refuses a checkpoint signature presented as a receipt', async () => {
    const jws = await gateway.signer.signPayload({ ...parts(await goodToken()).payload });
    expectRefused(await refusal(jws), 'wrong-type');
  });

  it('refuses a correctly signed token that lacks receipt claims', async () => {
    const { tool: _tool, ...rest } = parts(await goodToken()).payload;
    const token = await new SignJWT(rest)
      .setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: gateway.kid })
      .sign(gateway.privateKey);
    expectRefused(await refusal(token), 'bad-claims');
  });

  it('refuses a missing receipt and garbage', async () => {
    expectRefused(await refusal(undefined), 'missing');
    expectRefused(await refusal(''), 'missing');
    expectRefused(await refusal(42), 'malformed');
    expectRefused(await refusal('not.a.jws'), 'malformed');
    expectRefused(await refusal('x'.repeat(20_000)), 'malformed');
  });
});
