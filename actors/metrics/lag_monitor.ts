/**
 * Watches the main event loop: a 100 ms timer records how late it fires. A blocked loop (a
 * synchronous parse, inference on the wrong thread) shows up directly. Samples go into a
 * histogram for `/metrics`, and the last minute's are kept for a p99.
 *
 * @module
 */
import { Histogram, type HistogramSnapshot } from "../../models/metrics/histogram.ts";
import { LAG_BUCKETS } from "../../models/metrics/vigil_metrics.ts";

/** Timer period: frequent enough to catch a 20 ms stall, cheap enough to run forever. */
export const LAG_TICK_MS = 100;
/** How long samples are kept for the p99. */
export const LAG_WINDOW_MS = 60_000;

/** A running monitor. */
export interface LagMonitor {
  /** All samples so far, in seconds. */
  histogram(): HistogramSnapshot;
  /** 99th percentile of the last minute's samples, in seconds (0 before the first). */
  p99Seconds(): number;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Starts the monitor. Its timer is unref'd: it never keeps the process alive.
 *
 * @param tickMs timer period
 * @returns the monitor
 * @example
 * ```ts
 * const lag = startLagMonitor();
 * lag.p99Seconds(); // 0.002
 * lag.stop();
 * ```
 */
export function startLagMonitor(tickMs = LAG_TICK_MS): LagMonitor {
  const histogram = new Histogram(LAG_BUCKETS);
  const size = Math.max(1, Math.round(LAG_WINDOW_MS / tickMs));
  const recent = new Float64Array(size);
  let filled = 0;
  let next = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = Math.max(0, now - last - tickMs) / 1000;
    last = now;
    histogram.observe(lag);
    recent[next] = lag;
    next = (next + 1) % size;
    filled = Math.min(size, filled + 1);
  }, tickMs);
  Deno.unrefTimer(timer);
  return {
    histogram: () => histogram.snapshot(),
    p99Seconds() {
      if (filled === 0) return 0;
      const sorted = recent.slice(0, filled).sort();
      return sorted[Math.min(filled - 1, Math.floor(0.99 * filled))] ?? 0;
    },
    stop: () => clearInterval(timer),
  };
}
