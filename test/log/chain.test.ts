import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { GENESIS, checkLine, checkLineText, scanLine, sealLine } from '../../src/log/chain.js';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('sealLine', () => {
  test('hash is SHA-256 of the RFC 8785 canonical JSON of the line without its hash', () => {
    const { text, hash } = sealLine({ b: 1, a: 'x', n: 1.0, nested: { z: true, y: [2, 1] } }, GENESIS);
    const canonical = `{"a":"x","b":1,"n":1,"nested":{"y":[2,1],"z":true},"prev":"${GENESIS}"}`;
    expect(hash).toBe(sha256(canonical));
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed.hash).toBe(hash);
    expect(parsed.prev).toBe(GENESIS);
  });

  test('the genesis prev is 64 zeros', () => {
    expect(GENESIS).toMatch(/^0{64}$/);
  });

  test('leaves out undefined fields', () => {
    const { text } = sealLine({ a: 1, approval: undefined }, GENESIS);
    expect(JSON.parse(text)).not.toHaveProperty('approval');
  });

  test('refuses a body that already carries prev or hash', () => {
    expect(() => sealLine({ prev: GENESIS }, GENESIS)).toThrow(TypeError);
    expect(() => sealLine({ hash: 'x' }, GENESIS)).toThrow(TypeError);
  });

  test('refuses values JSON cannot carry', () => {
    expect(() => sealLine({ n: Number.NaN }, GENESIS)).toThrow();
  });
});

describe('checkLine', () => {
  const sealed = sealLine({ type: 'decision', args: { path: './a' }, n: 1 }, GENESIS);

  test('a sealed line checks and yields its prev and hash', () => {
    const checked = checkLineText(sealed.text);
    expect(checked).toMatchObject({ ok: true, prev: GENESIS, hash: sealed.hash });
  });

  test('an edited field is reported as edited', () => {
    expect(checkLineText(sealed.text.replace('./a', './b'))).toMatchObject({ ok: false, reason: 'edited' });
  });

  test('the same content spelled differently (key order, spaces) still checks', () => {
    const obj = JSON.parse(sealed.text) as Record<string, unknown>;
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(obj).reverse()), null, 1).replace(/\n/g, ' ');
    expect(checkLineText(reordered)).toMatchObject({ ok: true, hash: sealed.hash });
  });

  test('a changed hash field is reported as edited', () => {
    const other = '1'.repeat(64);
    expect(checkLineText(sealed.text.replace(sealed.hash, other))).toMatchObject({ ok: false, reason: 'edited' });
  });

  test('not JSON, not an object, or no hash/prev is malformed', () => {
    expect(checkLineText(sealed.text.slice(0, -3))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkLineText('[1,2]')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkLineText('{"a":1}')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkLineText(`{"hash":"${'0'.repeat(64)}"}`)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test('checks a line inside a larger buffer', () => {
    const buf = Buffer.from(`junk\n${sealed.text}\nmore`);
    expect(checkLine(buf, 5, 5 + Buffer.byteLength(sealed.text))).toMatchObject({ ok: true, hash: sealed.hash });
  });
});

describe('scanLine', () => {
  const prev = 'b'.repeat(64);

  test('reads a decision line as written without parsing it', () => {
    const sealed = sealLine({ type: 'decision', id: 'x', args: { a: 1 } }, prev);
    expect(scanLine(Buffer.from(sealed.text))).toEqual({ ok: true, type: 'decision', prev, hash: sealed.hash, record: undefined });
  });

  test('finds the top-level prev even when the arguments hold a "prev" key', () => {
    const decoy = 'c'.repeat(64);
    const sealed = sealLine({ type: 'outcome', args: { prev: decoy, nested: { prev: decoy } }, reasons: ['x","prev":"y'] }, prev);
    expect(scanLine(Buffer.from(sealed.text))).toMatchObject({ ok: true, type: 'outcome', prev, hash: sealed.hash });
  });

  test('an edited decision line is still edited', () => {
    const sealed = sealLine({ type: 'decision', decision: 'allow' }, prev);
    expect(scanLine(Buffer.from(sealed.text.replace('allow', 'deny!')))).toMatchObject({ ok: false, reason: 'edited' });
  });

  test('other lines are parsed and carry their record', () => {
    const sealed = sealLine({ type: 'checkpoint', lines: 3 }, prev);
    expect(scanLine(Buffer.from(sealed.text))).toMatchObject({ ok: true, type: 'checkpoint', prev, record: { lines: 3 } });
  });

  test('agrees with checkLine on a reformatted line', () => {
    const sealed = sealLine({ type: 'decision', id: 'x' }, prev);
    const spaced = JSON.stringify(JSON.parse(sealed.text), null, 1).replace(/\n/g, ' ');
    expect(scanLine(Buffer.from(spaced))).toMatchObject({ ok: true, type: 'decision', prev, hash: sealed.hash });
  });
});
