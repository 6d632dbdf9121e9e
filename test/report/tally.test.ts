import { describe, expect, test } from 'vitest';
import { Tally } from '../../src/report/tally.js';

describe('Tally', () => {
  test('keeps one entry per key up to the limit, then sums new keys in overflow', () => {
    const tally = new Tally(2, (key) => ({ key, n: 0 }));
    for (const key of ['a', 'b', 'a', 'c', 'd', 'b', 'c']) tally.at(key).n++;
    expect(tally.kept()).toEqual([
      ['a', { key: 'a', n: 2 }],
      ['b', { key: 'b', n: 2 }],
    ]);
    expect(tally.overflow).toEqual({ key: '', n: 3 });
  });

  test('no overflow entry until a key goes there', () => {
    const tally = new Tally(5, () => ({ n: 0 }));
    tally.at('a').n++;
    expect(tally.overflow).toBeUndefined();
  });
});
