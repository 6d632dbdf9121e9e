/** Who may use the admin listener: the admin token as a bearer, or a login session in an HttpOnly cookie. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The session cookie's name. */
export const SESSION_COOKIE = 'toolgate_admin';
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Logins kept at once; a new one beyond this ends the oldest. */
const MAX_SESSIONS = 1000;

/** How a request proved it holds the admin token, if it did. */
export type AdminAuth = 'bearer' | 'cookie' | undefined;

/** Checks tokens and keeps login sessions (in memory: a restart logs everyone out). */
export interface AdminAuthenticator {
  /** `bearer` when the Authorization header carries the token, `cookie` for a live session, else undefined. */
  check(req: IncomingMessage): AdminAuth;
  /** True when `candidate` is the admin token (constant time). */
  tokenMatches(candidate: string): boolean;
  /** Starts a session; returns the Set-Cookie value. The cookie holds a random id, never the token. */
  login(): string;
  /** Ends the request's session, if any; returns the Set-Cookie value that clears the cookie. */
  logout(req: IncomingMessage): string;
}

/**
 * Builds the authenticator for `token`. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither length nor content leaks through timing; session ids are 256
 * random bits, stored only as their digests, and expire `SESSION_TTL_MS` after login.
 */
export function createAdminAuth(token: string, now: () => number = Date.now): AdminAuthenticator {
  const digest = sha256(token);
  // session digest (hex) → expiry; Map order is login order, oldest first.
  const sessions = new Map<string, number>();
  const sessionOf = (req: IncomingMessage): string | undefined => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return id === undefined ? undefined : sha256(id).toString('hex');
  };
  return {
    check(req) {
      const bearer = bearerOf(req);
      if (bearer !== undefined) return timingSafeEqual(sha256(bearer), digest) ? 'bearer' : undefined;
      const key = sessionOf(req);
      if (key === undefined) return undefined;
      const expires = sessions.get(key);
      if (expires === undefined) return undefined;
      if (expires <= now()) {
        sessions.delete(key);
        return undefined;
      }
      return 'cookie';
    },
    tokenMatches: (candidate) => timingSafeEqual(sha256(candidate), digest),
    login() {
      const at = now();
      for (const [key, expires] of sessions) if (expires <= at) sessions.delete(key);
      while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
      const id = randomBytes(32).toString('base64url');
      sessions.set(sha256(id).toString('hex'), at + SESSION_TTL_MS);
      return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
    },
    logout(req) {
      const key = sessionOf(req);
      if (key !== undefined) sessions.delete(key);
      return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
    },
  };
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearerOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
