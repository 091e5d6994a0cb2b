/**
 * Detections per label over time, for the camera page's chart: the per-frame table counted into
 * equal time buckets, one series per label.
 *
 * @module
 */

/** One label's counts, one per bucket. */
export interface Series {
  label: string;
  counts: number[];
  total: number;
}

/** What the chart draws. */
export interface ChartData {
  /** Start of the first bucket (ms since the epoch). */
  from: number;
  bucketMs: number;
  series: Series[];
  /** The largest count of any bucket (at least 1, for the scale). */
  max: number;
}

/**
 * Counts detections into `buckets` equal intervals of `[from, to)`, per label. Labels are ordered
 * by their total, most first; detections outside the range are ignored.
 *
 * @param items detections (`ts` ISO 8601, `label`)
 * @param from range start, ms
 * @param to range end, ms (exclusive)
 * @param buckets how many intervals (≥ 1)
 * @returns the series
 * @example
 * ```ts
 * bucketDetections([{ ts: "1970-01-01T00:00:00.500Z", label: "car" }], 0, 1000, 2);
 * // { from: 0, bucketMs: 500, series: [{ label: "car", counts: [0, 1], total: 1 }], max: 1 }
 * ```
 */
export function bucketDetections(
  items: readonly { ts: string; label: string }[],
  from: number,
  to: number,
  buckets: number,
): ChartData {
  const count = Math.max(1, Math.floor(buckets));
  const bucketMs = Math.max(1, (to - from) / count);
  const byLabel = new Map<string, number[]>();
  for (const item of items) {
    const t = Date.parse(item.ts);
    if (!(t >= from && t < to)) continue;
    const index = Math.min(count - 1, Math.floor((t - from) / bucketMs));
    let counts = byLabel.get(item.label);
    if (!counts) byLabel.set(item.label, counts = new Array<number>(count).fill(0));
    counts[index]! += 1;
  }
  const series = [...byLabel].map(([label, counts]) => ({
    label,
    counts,
    total: counts.reduce((a, b) => a + b, 0),
  })).sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  const max = Math.max(1, ...series.flatMap((s) => s.counts));
  return { from, bucketMs, series, max };
}
