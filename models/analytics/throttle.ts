/**
 * The analysis fps throttle: which captured frames analysis takes so it analyses exactly the
 * asked rate on average, whatever rate capture delivers. The due time advances by one period from
 * the previous due time, not the frame's (no rounding drift: 5 fps analysed at 3 gives 3 frames
 * a second); a frame may be half a period early; after a gap the schedule restarts instead of
 * bursting to catch up.
 *
 * @module
 */

/** How early, as a fraction of the period, a frame may arrive and still be taken. */
export const EARLY_FRACTION = 0.5;

/**
 * Decides whether to analyse a frame.
 *
 * @param due when the next frame is due (ms), `undefined` before the first frame
 * @param ts the frame's time (ms)
 * @param fps the asked analysis rate (> 0)
 * @returns whether to analyse it, and the next due time
 * @example
 * ```ts
 * let due: number | undefined;
 * for (const ts of [0, 200, 400, 600, 800, 1000]) {
 *   const step = throttleFrame(due, ts, 3);
 *   due = step.due;
 *   if (step.analyse) console.log(ts); // 0, 200, 600, 1000
 * }
 * ```
 */
export function throttleFrame(
  due: number | undefined,
  ts: number,
  fps: number,
): { analyse: boolean; due: number | undefined } {
  const period = 1000 / fps;
  if (due === undefined || ts - due > period) return { analyse: true, due: ts + period };
  if (ts < due - period * EARLY_FRACTION) return { analyse: false, due };
  return { analyse: true, due: due + period };
}
