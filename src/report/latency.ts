/** Latency percentiles in bounded memory: a log-bucket histogram with a known relative error. */

/** Relative error of a reported percentile (half the bucket ratio): 0.5%. */
export const LATENCY_RELATIVE_ERROR = 0.005;

const GAMMA = (1 + LATENCY_RELATIVE_ERROR) / (1 - LATENCY_RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
// Latencies at or below this (ms) share bucket "zero": they are reported as 0.
const FLOOR_MS = 0.01;

/**
 * Collects latencies (milliseconds) into buckets whose bounds grow by ~1% (as DDSketch does), so
 * a million calls take a few hundred counters and any percentile comes back within 0.5% of a
 * real sample's value (clamped to the smallest and largest seen).
 */
export class LatencySketch {
  private readonly buckets = new Map<number, number>();
  private zero = 0;
  /** Samples added. */
  count = 0;
  /** Smallest and largest sample; `NaN` while empty. */
  min = Number.NaN;
  max = Number.NaN;

  /** Adds one latency; negative or non-finite values are ignored. */
  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.count++;
    this.min = this.count === 1 ? ms : Math.min(this.min, ms);
    this.max = this.count === 1 ? ms : Math.max(this.max, ms);
    if (ms <= FLOOR_MS) {
      this.zero++;
      return;
    }
    const index = Math.ceil(Math.log(ms) / LOG_GAMMA);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
  }

  /**
   * The nearest-rank percentile `p` (0 < p ≤ 100): the value at rank ceil(p% of count), within
   * 0.5% (the largest sample exactly); `undefined` when empty.
   */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    if (rank === this.count) return this.max;
    if (rank <= this.zero) return Math.max(0, this.min);
    let seen = this.zero;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index) as number;
      if (seen >= rank) return clamp((2 * GAMMA ** index) / (GAMMA + 1), this.min, this.max);
    }
    return this.max;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
