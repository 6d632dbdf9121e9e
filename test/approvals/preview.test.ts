import { describe, expect, test } from 'vitest';
import { escapeInvisible, prettyArgs, previewArgs } from '../../src/approvals/preview.js';

describe('previewArgs', () => {
  test('short arguments are shown whole as compact JSON', () => {
    expect(previewArgs({ path: 'a.txt', n: 2 })).toBe('{"path":"a.txt","n":2}');
  });

  test('the preview is one line of at most the given length', () => {
    const preview = previewArgs({ content: 'line one\nline two', more: 'y'.repeat(200), other: 'z'.repeat(200) }, 60);
    expect(preview).not.toContain('\n');
    expect(preview.length).toBeLessThanOrEqual(60);
    expect(preview.endsWith('…')).toBe(true);
  });

  test('terminal control and bidi characters are escaped', () => {
    expect(previewArgs({ p: 'x\u001b[31my\u202e' })).toBe('{"p":"x\\u001b[31my\\u202e"}');
  });
});

describe('prettyArgs', () => {
  test('exact pretty JSON when small', () => {
    expect(prettyArgs({ a: 1, b: ['x'] })).toBe(JSON.stringify({ a: 1, b: ['x'] }, null, 2));
  });

  test('a huge whole is cut and says how much is not shown', () => {
    const args = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`key${i}`, i]));
    const text = prettyArgs(args, { maxTotal: 1000 });
    expect(text).toMatch(/\n… \[\d+ more characters not shown\]$/);
  });
});

describe('escapeInvisible', () => {
  test('keeps newlines and tabs, escapes zero-width and C1 characters', () => {
    expect(escapeInvisible('a\n\tb\u200bc\u0085')).toBe('a\n\tb\\u200bc\\u0085');
  });
});
