/**
 * Measures how late the main event loop runs timers while some work is going on: a 5 ms interval
 * records its lateness. A blocked loop (inference on the main thread, a synchronous parse) shows
 * up directly as lag. Shared by the benchmarks.
 *
 * @module
 */

/** Interval of the probe timer. */
export const TICK_MS = 5;

/**
 * Runs `work` while recording the probe's lateness into `lags` (ms per tick).
 *
 * @param work the work to observe
 * @param lags receives one sample per tick
 */
export async function withLagProbe(work: () => Promise<void>, lags: number[]): Promise<void> {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - TICK_MS));
    last = now;
  }, TICK_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * The q-quantile of ascending samples (0 when empty).
 *
 * @param sorted samples, ascending
 * @param q 0..1
 * @returns the sample at that rank
 */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
