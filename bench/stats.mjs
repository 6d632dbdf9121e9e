// Small statistics for the benchmark: percentiles of latency samples and ratios against a baseline.

/** The `p`-th percentile (0-100) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Count, p50, p90 and p99 of latency `samples` (ms). */
export function latencySummary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) };
}

/** `value / base`, or NaN when either is missing. */
export function ratio(value, base) {
  return Number.isFinite(value) && Number.isFinite(base) && base !== 0 ? value / base : NaN;
}

/** Rounds to `digits` decimals; NaN and infinities become null, for JSON. */
export function round(value, digits = 3) {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
