import { describe, expect, test } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';
import { parseSince } from '../../src/cli/since.js';

describe('progressLine', () => {
  test('redraws in place at most every 100 ms with its label, and erases itself when done', () => {
    const written: string[] = [];
    let t = 0;
    const progress = progressLine((s) => written.push(s), () => t);
    progress.update({ label: 'report: checking the chain', bytes: 50, total: 200, lines: 1234 });
    t = 50;
    progress.update({ label: 'report: checking the chain', bytes: 100, total: 200, lines: 2000 });
    t = 150;
    progress.update({ label: 'report: counting decisions', bytes: 200, total: 200, lines: 4000 });
    progress.done();
    expect(written).toEqual([
      '\rreport: checking the chain 25% (1,234 lines)\u001b[K',
      '\rreport: counting decisions 100% (4,000 lines)\u001b[K',
      '\r\u001b[K',
    ]);
  });

  test('writes nothing when nothing was drawn', () => {
    const written: string[] = [];
    progressLine((s) => written.push(s)).done();
    expect(written).toEqual([]);
  });
});

describe('parseSince', () => {
  const now = Date.UTC(2026, 0, 8);
  test('a duration counts back from now; an ISO date is taken as is', () => {
    expect(parseSince('7d', now)).toBe(Date.UTC(2026, 0, 1));
    expect(parseSince('2026-01-02T00:00:00Z', now)).toBe(Date.UTC(2026, 0, 2));
  });
  test('anything else, or a time in the future, is TG_USAGE', () => {
    expect(() => parseSince('last week', now)).toThrow(expect.objectContaining({ code: 'TG_USAGE' }));
    expect(() => parseSince('2027-01-01', now)).toThrow(expect.objectContaining({ code: 'TG_USAGE' }));
  });
});
