import { describe, expect, test } from 'vitest';
import { ONCE_GRANT_TTL_MS, SESSION_GRANT_TTL_MS, describeScope, formatDuration, grantFor, parseScope } from '../../src/approvals/scope.js';

describe('parseScope', () => {
  test('once, session and durations', () => {
    expect(parseScope('once')).toBe('once');
    expect(parseScope('session')).toBe('session');
    expect(parseScope('8h')).toEqual({ durationMs: 8 * 3_600_000 });
    expect(parseScope('30m')).toEqual({ durationMs: 30 * 60_000 });
  });

  test.each(['forever', '', '10', '0s', '500ms', '-1h'])('%j is TG_USAGE', (text) => {
    expect(() => parseScope(text)).toThrow(expect.objectContaining({ code: 'TG_USAGE' }));
  });
});

describe('grantFor', () => {
  test('once is one use, any session, for ONCE_GRANT_TTL_MS', () => {
    expect(grantFor('once', 100)).toEqual({ sessionBound: false, uses: 1, expires_at: 100 + ONCE_GRANT_TTL_MS });
  });
  test('session is unlimited uses, this session, at most SESSION_GRANT_TTL_MS', () => {
    expect(grantFor('session', 100)).toEqual({ sessionBound: true, uses: null, expires_at: 100 + SESSION_GRANT_TTL_MS });
  });
  test('a duration is unlimited uses, any session, for the duration', () => {
    expect(grantFor({ durationMs: 5000 }, 100)).toEqual({ sessionBound: false, uses: null, expires_at: 5100 });
  });
});

describe('describeScope and formatDuration', () => {
  test('scopes read as people say them', () => {
    expect(describeScope('once')).toBe('once');
    expect(describeScope('session')).toBe('for this session');
    expect(describeScope({ durationMs: 90 * 60_000 })).toBe('for 1h30m');
  });
  test('durations are short', () => {
    expect([0, 45_000, 180_000, 7_200_000, 93_600_000, 86_400_000, -5].map(formatDuration)).toEqual(['0s', '45s', '3m', '2h', '1d2h', '1d', '0s']);
  });
});
