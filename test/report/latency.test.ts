import { describe, expect, test } from 'vitest';
import { LATENCY_RELATIVE_ERROR, LatencySketch } from '../../src/report/latency.js';

// Deterministic pseudo-random numbers (mulberry32), so the test is the same on every run.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exact(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
}

describe('LatencySketch', () => {
  test('each percentile is within 0.5% of the exact nearest-rank value over four orders of magnitude', () => {
    const next = random(42);
    const sketch = new LatencySketch();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = 0.05 * 10 ** (next() * 5);
      values.push(v);
      sketch.add(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [1, 25, 50, 90, 99, 99.9, 100]) {
      const want = exact(values, p);
      expect(Math.abs((sketch.percentile(p) as number) - want) / want, `p${p}`).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR + 1e-9);
    }
    expect(sketch.count).toBe(20_000);
    expect(sketch.max).toBe(values.at(-1));
  });

  test('a single value comes back exactly; zeros are zero; negative and non-finite values are ignored', () => {
    const one = new LatencySketch();
    one.add(37);
    expect([one.percentile(50), one.percentile(99)]).toEqual([37, 37]);
    const zeros = new LatencySketch();
    for (const v of [0, 0, 0, 5, -1, Number.NaN, Number.POSITIVE_INFINITY]) zeros.add(v);
    expect(zeros.count).toBe(4);
    expect(zeros.percentile(50)).toBe(0);
    expect(zeros.percentile(100)).toBe(5);
  });

  test('empty: no percentile', () => {
    expect(new LatencySketch().percentile(50)).toBeUndefined();
  });
});
