// The admin authenticator: bearer token, login sessions in a cookie, expiry on a passed-in clock.
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { SESSION_TTL_MS, cookieValue, createAdminAuth } from '../../src/admin/auth.js';

const TOKEN = 'admin-token-0123456789abcdef';
const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
const cookieOf = (setCookie: string): string => setCookie.split(';')[0] as string;

describe('createAdminAuth', () => {
  test('the bearer token is accepted; another token, a prefix or a longer one is not', () => {
    const auth = createAdminAuth(TOKEN);
    expect(auth.check(req({ authorization: `Bearer ${TOKEN}` }))).toBe('bearer');
    expect(auth.check(req({ authorization: `bearer ${TOKEN}` }))).toBe('bearer');
    expect(auth.check(req({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }))).toBeUndefined();
    expect(auth.check(req({ authorization: `Bearer ${TOKEN}x` }))).toBeUndefined();
    expect(auth.check(req({ authorization: `Basic ${TOKEN}` }))).toBeUndefined();
    expect(auth.check(req({}))).toBeUndefined();
  });

  test('login makes an HttpOnly SameSite=Strict cookie with a random id, never the token', () => {
    const auth = createAdminAuth(TOKEN);
    const a = auth.login();
    const b = auth.login();
    expect(a).toMatch(/^toolgate_admin=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect(a).not.toContain(TOKEN);
    expect(cookieOf(a)).not.toBe(cookieOf(b));
    expect(auth.check(req({ cookie: `other=1; ${cookieOf(a)}` }))).toBe('cookie');
  });

  test('a session expires after 12 hours', () => {
    let now = 1_000_000;
    const auth = createAdminAuth(TOKEN, () => now);
    const cookie = cookieOf(auth.login());
    now += SESSION_TTL_MS - 1;
    expect(auth.check(req({ cookie }))).toBe('cookie');
    now += 1;
    expect(auth.check(req({ cookie }))).toBeUndefined();
  });

  test('logout ends the session and clears the cookie', () => {
    const auth = createAdminAuth(TOKEN);
    const cookie = cookieOf(auth.login());
    expect(auth.logout(req({ cookie }))).toContain('Max-Age=0');
    expect(auth.check(req({ cookie }))).toBeUndefined();
  });

  test('a session of another gateway (another authenticator) is not a login here', () => {
    const cookie = cookieOf(createAdminAuth(TOKEN).login());
    expect(createAdminAuth(TOKEN).check(req({ cookie }))).toBeUndefined();
  });

  test('a wrong bearer is refused even with a valid cookie beside it', () => {
    const auth = createAdminAuth(TOKEN);
    const cookie = cookieOf(auth.login());
    expect(auth.check(req({ cookie, authorization: 'Bearer wrong' }))).toBeUndefined();
  });

  test('tokenMatches compares the whole token', () => {
    const auth = createAdminAuth(TOKEN);
    expect(auth.tokenMatches(TOKEN)).toBe(true);
    expect(auth.tokenMatches('')).toBe(false);
    expect(auth.tokenMatches(`${TOKEN} `)).toBe(false);
  });
});

describe('cookieValue', () => {
  test('finds a cookie by exact name among others', () => {
    expect(cookieValue('a=1; toolgate_admin=xyz; b=2', 'toolgate_admin')).toBe('xyz');
    expect(cookieValue('xtoolgate_admin=1', 'toolgate_admin')).toBeUndefined();
    expect(cookieValue(undefined, 'toolgate_admin')).toBeUndefined();
  });
});
