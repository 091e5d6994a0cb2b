/**
 * The one retry schedule: exponential from a first delay, capped, with optional "equal jitter"
 * (half fixed, half random) so peers that failed together do not retry in lockstep. Cameras,
 * the batch writer and webhooks retry by it.
 *
 * @module
 */

/** First retry delay of a camera stream (capture, puller, recorder) after a failure. */
export const BACKOFF_BASE_MS = 250;
/**
 * Longest retry delay of a camera stream. With ffmpeg reaching its first frame ~0.5–0.9 s after
 * connecting, a 1 s cap brings a camera back within 2 s of its server answering again.
 */
export const BACKOFF_MAX_MS = 1000;

/** Options of {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** The delay after the first failure (before jitter). */
  baseMs: number;
  /** The longest delay (before jitter). */
  maxMs: number;
  /** Spread the delay over [d/2, d] (default true). */
  jitter?: boolean;
  /** Source of randomness in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * The delay before the next attempt after `failures` consecutive failures.
 *
 * @param failures consecutive failures so far (≥ 1; less counts as 1)
 * @param options first delay, cap, jitter
 * @returns the delay in ms: d = min(maxMs, baseMs·2^(failures−1)), within [d/2, d] with jitter
 * @throws {RangeError} when `baseMs` or `maxMs` is not a positive number
 * @example
 * ```ts
 * backoffDelay(3, { baseMs: 250, maxMs: 5000, jitter: false }); // 1000
 * backoffDelay(1, { baseMs: 250, maxMs: 1000, random: () => 0 }); // 125
 * ```
 */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  const { baseMs, maxMs, jitter = true, random = Math.random } = options;
  if (!(baseMs > 0) || !(maxMs > 0)) {
    throw new RangeError(
      `Cannot compute a backoff as 'baseMs' and 'maxMs' must be positive: current values are ${baseMs} and ${maxMs}`,
    );
  }
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
  return jitter ? Math.round(exp / 2 + (random() * exp) / 2) : exp;
}

/** How often a dead camera's source is probed at first. */
export const PROBE_INTERVAL_MS = 1000;
/** How often it is probed once it has been dead for {@linkcode PROBE_SLOW_AFTER_MS}. */
export const PROBE_SLOW_INTERVAL_MS = 10_000;
/** How long a source is probed every second before the probes slow down. */
export const PROBE_SLOW_AFTER_MS = 180_000;

/**
 * The wait before the next probe of a source that does not answer: once a second, so an outage
 * of a few minutes heals within about a second of the camera answering, then every ten seconds,
 * so a camera that is gone for good costs almost nothing.
 *
 * @param downForMs how long the source has not answered
 * @returns the delay in ms
 * @example
 * ```ts
 * probeDelay(5_000); // 1000
 * probeDelay(600_000); // 10000
 * ```
 */
export function probeDelay(downForMs: number): number {
  return downForMs < PROBE_SLOW_AFTER_MS ? PROBE_INTERVAL_MS : PROBE_SLOW_INTERVAL_MS;
}
