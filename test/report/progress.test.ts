import { describe, expect, test } from 'vitest';
import { progressLine } from '../../src/report/progress.js';

describe('progressLine', () => {
  test('redraws in place at most every 100 ms, naming the stage, and erases itself when done', () => {
    const written: string[] = [];
    let t = 0;
    const progress = progressLine((s) => written.push(s), () => t);
    progress.update({ stage: 'verify', bytes: 50, total: 200, lines: 1234 });
    t = 50;
    progress.update({ stage: 'verify', bytes: 100, total: 200, lines: 2000 });
    t = 150;
    progress.update({ stage: 'count', bytes: 200, total: 200, lines: 4000 });
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
