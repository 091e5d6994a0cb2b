/**
 * Detections per label over time, for the camera page's chart: the database's counts per
 * time bucket laid out as one series per label.
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
 * Lays counts the database made (`GET /api/detections/counts`: buckets aligned to the epoch) out
 * as the chart's series: one bucket per `bucketMs` from the one holding `from` to the one holding
 * `to`, zero where the database had no row. Labels are ordered by their total, most first.
 *
 * @param items counts per bucket start (ISO 8601) and label
 * @param from range start, ms
 * @param to range end, ms (exclusive)
 * @param bucketMs the bucket size the counts were asked with
 * @returns the series
 * @example
 * ```ts
 * seriesFromCounts([{ bucket: "1970-01-01T00:01:00.000Z", label: "car", count: 3 }], 0, 120_000, 60_000);
 * // { from: 0, bucketMs: 60000, series: [{ label: "car", counts: [0, 3], total: 3 }], max: 3 }
 * ```
 */
export function seriesFromCounts(
  items: readonly { bucket: string; label: string; count: number }[],
  from: number,
  to: number,
  bucketMs: number,
): ChartData {
  const first = Math.floor(from / bucketMs) * bucketMs;
  const count = Math.max(1, Math.ceil((to - first) / bucketMs));
  const byLabel = new Map<string, number[]>();
  for (const item of items) {
    const index = Math.round((Date.parse(item.bucket) - first) / bucketMs);
    if (!(index >= 0 && index < count)) continue;
    let counts = byLabel.get(item.label);
    if (!counts) byLabel.set(item.label, counts = new Array<number>(count).fill(0));
    counts[index]! += item.count;
  }
  const series = [...byLabel].map(([label, counts]) => ({
    label,
    counts,
    total: counts.reduce((a, b) => a + b, 0),
  })).sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  const max = Math.max(1, ...series.flatMap((s) => s.counts));
  return { from: first, bucketMs, series, max };
}
