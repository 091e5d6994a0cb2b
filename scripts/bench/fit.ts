/**
 * Fits over bench samples: the memory slope per camera and the drift of a hold.
 *
 * @module
 */

/**
 * Least-squares slope of y over x.
 *
 * @param points [x, y] pairs
 * @returns the slope, 0 with fewer than two distinct x
 */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  if (sxx === 0) return 0;
  return points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx;
}

/**
 * Median of the last fifth minus median of the first fifth of samples (GC makes single samples
 * jump by several MB; medians of windows do not).
 *
 * @param values samples in time order
 * @returns the growth, `null` with fewer than 5 samples
 */
export function drift(values: readonly number[]): number | null {
  if (values.length < 5) return null;
  const k = Math.max(1, Math.floor(values.length / 5));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return med(values.slice(-k)) - med(values.slice(0, k));
}
