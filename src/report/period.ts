/** The report's period and its time buckets: hours for up to two days, days beyond, aligned to UTC. */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Periods up to this long get hour buckets; longer ones get day buckets. */
export const HOUR_BUCKETS_UP_TO_MS = 2 * DAY;

/** A report period: decisions at or after `start` up to `end` (the time of the report), in buckets. */
export interface Period {
  /** Milliseconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly unit: 'hour' | 'day';
  readonly bucketMs: number;
  /** Start of the first bucket: `start` rounded down to a UTC hour or day. */
  readonly firstBucket: number;
  /** Number of buckets, at least 1; the last one holds `end` (a time on its boundary too). */
  readonly buckets: number;
}

/** The period from `start` to `end` (ms since the epoch, `start < end`). */
export function reportPeriod(start: number, end: number): Period {
  const unit = end - start <= HOUR_BUCKETS_UP_TO_MS ? 'hour' : 'day';
  const bucketMs = unit === 'hour' ? HOUR : DAY;
  const firstBucket = start - mod(start, bucketMs);
  const buckets = Math.max(1, Math.ceil((end - firstBucket) / bucketMs));
  return { start, end, unit, bucketMs, firstBucket, buckets };
}

/** The bucket index for time `t`; times outside the period are clamped to the first or last bucket. */
export function bucketOf(period: Period, t: number): number {
  const index = Math.floor((t - period.firstBucket) / period.bucketMs);
  return Math.min(period.buckets - 1, Math.max(0, index));
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
