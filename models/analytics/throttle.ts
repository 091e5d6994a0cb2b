/**
 * The analysis fps throttle: which captured frames the analysis takes so that, on average, it
 * analyses exactly the asked rate whatever rate capture delivers.
 *
 * Each taken frame moves a due time on by one period from the previous DUE time, not from the
 * frame's time, so rounding to the capture's frame grid never accumulates: with capture at 5 fps
 * and analysis at 3, the frames taken are 0, 200, 600, 1000, 1200, 1600... — 3 per second.
 * (The old rule, "skip frames closer than half a period to the last one", took every 200 ms frame
 * for 3 or 4 fps and every third for 1 fps: 5/s and 1.67/s.) A frame may come up to half a period
 * early, which absorbs network jitter when both rates are equal; after a gap longer than a period
 * (a stall, a slow detector) the schedule restarts from the frame instead of bursting to catch up.
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
