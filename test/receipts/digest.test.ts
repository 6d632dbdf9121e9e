import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { argsSha256, canonicalJson } from '../../src/receipts/digest.js';

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('argsSha256', () => {
  it('is the lowercase hex SHA-256 of the RFC 8785 canonical JSON', () => {
    const digest = argsSha256({ b: 1, a: 'x' });
    expect(digest).toBe(sha('{"a":"x","b":1}'));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order, at any depth', () => {
    expect(argsSha256({ a: 1, b: { d: [1, 2], c: null } })).toBe(argsSha256({ b: { c: null, d: [1, 2] }, a: 1 }));
  });

  it('changes when one character of a value changes', () => {
    expect(argsSha256({ path: './sandbox/notes.txt' })).not.toBe(argsSha256({ path: './sandbox/notes.txv' }));
  });

  it('keeps array order significant', () => {
    expect(argsSha256({ a: [1, 2] })).not.toBe(argsSha256({ a: [2, 1] }));
  });

  it('writes numbers and strings the RFC 8785 way', () => {
    // RFC 8785 §3.2.2.3 (ES6 number serialization) and §3.2.2.2 (minimal string escaping).
    expect(canonicalJson({ n: [1.0, 1e21, 0.000001, 1e-7, -0], s: '\u20ac\n"' })).toBe('{"n":[1,1e+21,0.000001,1e-7,0],"s":"€\\n\\""}');
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 requires', () => {
    // The RFC's own sorting example: "\u20ac" (U+20AC) sorts before "\ud83d\ude00" (surrogates).
    expect(canonicalJson({ '\ud83d\ude00': 2, '\u20ac': 1, '\r': 0 })).toBe('{"\\r":0,"€":1,"😀":2}');
  });

  it('treats absent arguments as an empty object', () => {
    expect(argsSha256(undefined)).toBe(argsSha256({}));
  });

  it('refuses values JSON cannot carry with TG_BAD_ARGS', () => {
    expect(() => argsSha256({ n: Number.NaN })).toThrow(expect.objectContaining({ code: 'TG_BAD_ARGS' }));
    expect(() => argsSha256({ n: Infinity })).toThrow(expect.objectContaining({ code: 'TG_BAD_ARGS' }));
    expect(() => argsSha256({ n: 1n })).toThrow(expect.objectContaining({ code: 'TG_BAD_ARGS' }));
    expect(() => argsSha256(() => 1)).toThrow(expect.objectContaining({ code: 'TG_BAD_ARGS' }));
  });
});
