import { describe, expect, test } from 'vitest';
import { bucketOf, reportPeriod } from '../../src/report/period.js';

const H = 3_600_000;
const D = 24 * H;
const T = Date.UTC(2025, 2, 10, 13, 25);

describe('reportPeriod', () => {
  test('up to two days: hour buckets from the UTC hour of the start', () => {
    const p = reportPeriod(T - 2 * D, T);
    expect(p).toMatchObject({ unit: 'hour', bucketMs: H, firstBucket: Date.UTC(2025, 2, 8, 13), buckets: 49 });
  });

  test('longer: day buckets from the UTC day of the start (7d from mid-day is 8 buckets)', () => {
    const p = reportPeriod(T - 7 * D, T);
    expect(p).toMatchObject({ unit: 'day', bucketMs: D, firstBucket: Date.UTC(2025, 2, 3), buckets: 8 });
  });

  test('an end on a bucket boundary adds no empty bucket', () => {
    expect(reportPeriod(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 2)).buckets).toBe(24);
  });

  test('bucketOf: the bucket of a time, clamping times outside the period', () => {
    const p = reportPeriod(T - 2 * D, T);
    expect(bucketOf(p, Date.UTC(2025, 2, 8, 13, 0))).toBe(0);
    expect(bucketOf(p, Date.UTC(2025, 2, 8, 14, 59))).toBe(1);
    expect(bucketOf(p, T)).toBe(48);
    expect(bucketOf(p, T + 10 * D)).toBe(48);
    expect(bucketOf(p, T - 10 * D)).toBe(0);
  });
});
