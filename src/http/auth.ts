/** Who is calling over HTTP: static bearer tokens (constant-time) or OAuth 2.1 JWT access tokens. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { LoadedConfig } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import type { Principal } from '../policy/types.js';
import { isLoopback } from '../net.js';

type AuthConfig = NonNullable<LoadedConfig['gateway']['listen']['auth']>;

/** The outcome of authenticating one request. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: 'invalid_request' | 'invalid_token'; description: string };

/** Authenticates requests; built once per listener. */
export interface Authenticator {
  authenticate(req: IncomingMessage): Promise<AuthResult>;
}

/**
 * Builds the authenticator for `listen.auth`. Without auth every request is `fallback` (the
 * config's principal): allowed only on loopback, which config loading enforces. Static tokens
 * are compared as SHA-256 digests with `timingSafeEqual`, so neither length nor content leaks
 * through timing. JWTs are verified with jose against the issuer's JWKS: issuer, audience,
 * expiry (30 s skew), EdDSA/ES256/RS256/PS256 only.
 */
export function createAuthenticator(auth: AuthConfig | undefined, fallback: Principal, baseDir: string): Authenticator {
  if (!auth) return { authenticate: async () => ({ ok: true, principal: fallback }) };
  const tokens = (auth.tokens ?? []).map((t) => ({ digest: sha256(t.token), principal: { id: t.principal, roles: t.roles } }));
  const jwt = auth.jwt;
  const keys = jwt ? jwksFor(jwt.jwks, baseDir) : undefined;
  return {
    async authenticate(req) {
      const bearer = bearerOf(req);
      if (bearer === undefined) return { ok: false, error: 'invalid_request', description: 'a bearer token is required' };
      const digest = sha256(bearer);
      let found: Principal | undefined;
      // Compare against every token so the time taken does not depend on which one matched.
      for (const t of tokens) if (timingSafeEqual(t.digest, digest)) found ??= t.principal;
      if (found) return { ok: true, principal: found };
      if (jwt && keys && bearer.split('.').length === 3) return verifyJwt(bearer, jwt, keys);
      return { ok: false, error: 'invalid_token', description: 'the token is not valid' };
    },
  };
}

async function verifyJwt(token: string, jwt: NonNullable<AuthConfig['jwt']>, keys: JWTVerifyGetKey): Promise<AuthResult> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: jwt.issuer,
      audience: jwt.audience,
      clockTolerance: 30,
      algorithms: ['EdDSA', 'ES256', 'RS256', 'PS256'],
      requiredClaims: ['exp'],
    }));
  } catch (e) {
    const why = e instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
    return { ok: false, error: 'invalid_token', description: why };
  }
  const id = payload[jwt.principal_claim];
  if (typeof id !== 'string' || id === '') {
    return { ok: false, error: 'invalid_token', description: `the token has no ${jwt.principal_claim} claim` };
  }
  const rolesClaim = payload[jwt.roles_claim];
  const roles = Array.isArray(rolesClaim)
    ? rolesClaim.filter((r): r is string => typeof r === 'string')
    : typeof rolesClaim === 'string'
      ? rolesClaim.split(' ').filter(Boolean)
      : [];
  return { ok: true, principal: { id, roles } };
}

function jwksFor(source: string, baseDir: string): JWTVerifyGetKey {
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new ToolgateError('TG_CONFIG_INVALID', 'gateway.listen.auth.jwt.jwks must be https (http only on loopback)');
    }
    return createRemoteJWKSet(url);
  }
  try {
    const path = source.startsWith('/') ? source : `${baseDir}/${source}`;
    return createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8')) as Parameters<typeof createLocalJWKSet>[0]);
  } catch (e) {
    throw new ToolgateError('TG_CONFIG_INVALID', `gateway.listen.auth.jwt.jwks: cannot read the JWKS file ${source}`, { cause: e });
  }
}

function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
