import { compactVerify, createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { argsSha256 } from '../../src/receipts/digest.js';
import { RECEIPT_TYP } from '../../src/receipts/sign.js';
import { ARGS, input, makeKey, parts } from './helpers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('receipt signer', () => {
  it('signs exactly the contract claims, with kid and alg in the header', async () => {
    const key = await makeKey('EdDSA', 120);
    const { token, jti, exp } = await key.signer.sign(input({ approval: 'ap-1' }, argsSha256(ARGS)), NOW);
    const { header, payload } = parts(token);
    expect(header).toEqual({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_TYP });
    expect(Object.keys(payload).sort()).toEqual(
      ['approval', 'args_sha256', 'aud', 'decision', 'exp', 'iat', 'iss', 'jti', 'policy', 'rules', 'sub', 'tool'].sort(),
    );
    expect(payload).toMatchObject({
      iss: 'demo-gateway',
      sub: 'alice',
      aud: 'filesystem',
      tool: 'read_text_file',
      decision: 'allow',
      rules: ['read-sandbox'],
      args_sha256: argsSha256(ARGS),
      approval: 'ap-1',
      iat: NOW / 1000,
      exp: NOW / 1000 + 120,
      jti,
    });
    expect(exp).toBe(NOW / 1000 + 120);
  });

  it('leaves out approval when no person approved', async () => {
    const key = await makeKey();
    const { token } = await key.signer.sign(input(), NOW);
    expect(parts(token).payload).not.toHaveProperty('approval');
  });

  it('gives every receipt its own jti', async () => {
    const key = await makeKey();
    const jtis = new Set<string>();
    for (let i = 0; i < 50; i += 1) jtis.add((await key.signer.sign(input(), NOW)).jti);
    expect(jtis.size).toBe(50);
  });

  it.each(['EdDSA', 'ES256'] as const)('produces a %s JWS that jose verifies against the published JWKS', async (alg) => {
    const key = await makeKey(alg);
    const { token } = await key.signer.sign(input(), NOW);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(key.signer.jwks()), {
      algorithms: [alg],
      currentDate: new Date(NOW),
    });
    expect(protectedHeader.alg).toBe(alg);
    expect(payload.sub).toBe('alice');
  });

  it('signs arbitrary payloads (checkpoints) with kid but without the receipt typ', async () => {
    const key = await makeKey('ES256');
    const jws = await key.signer.signPayload({ type: 'checkpoint', lines: 1000, head: 'ab' });
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(key.signer.jwks()));
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: key.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ type: 'checkpoint', lines: 1000, head: 'ab' });
  });

  it('publishes public keys only, frozen', async () => {
    const key = await makeKey();
    const jwks = key.signer.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(jwks.keys[0]?.kid).toBe(key.kid);
    expect(Object.isFrozen(jwks.keys[0])).toBe(true);
  });
});
