/**
 * Where recorded intervals, gaps and event markers go on a timeline bar of one day.
 *
 * @module
 */

/** A drawn piece: left edge and width, both 0..1 of the bar. */
export interface Bar {
  x: number;
  w: number;
}

/**
 * Places a span on the bar of `[start, end)`, clipped to it.
 *
 * @param span ISO times
 * @param start the bar's start, ms
 * @param end the bar's end, ms
 * @returns the piece, or undefined when the span is outside the bar
 * @example
 * ```ts
 * place({ from: "1970-01-01T00:00:00.250Z", to: "1970-01-01T00:00:00.500Z" }, 0, 1000);
 * // { x: 0.25, w: 0.25 }
 * ```
 */
export function place(
  span: { from: string; to: string },
  start: number,
  end: number,
): Bar | undefined {
  const from = Math.max(start, Date.parse(span.from));
  const to = Math.min(end, Date.parse(span.to));
  if (!(to > from) || end <= start) return undefined;
  return { x: (from - start) / (end - start), w: (to - from) / (end - start) };
}

/**
 * Where a moment is on the bar.
 *
 * @param at ISO time
 * @param start the bar's start, ms
 * @param end the bar's end, ms
 * @returns 0..1, or undefined outside the bar
 */
export function mark(at: string, start: number, end: number): number | undefined {
  const t = Date.parse(at);
  if (!(t >= start && t < end)) return undefined;
  return (t - start) / (end - start);
}

/**
 * The local day containing a date: midnight to midnight in the browser's time zone.
 *
 * @param day `YYYY-MM-DD`
 * @returns start and end, ms (23 or 25 hours long on a clock change)
 */
export function localDay(day: string): { start: number; end: number } {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return { start: new Date(y, m - 1, d).getTime(), end: new Date(y, m - 1, d + 1).getTime() };
}
