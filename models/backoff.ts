/**
 * The one reconnect backoff of Vigil: the camera actor's capture retries and the stream hub's
 * pullers use the same curve, so a camera that comes back is found again at the same pace
 * whichever of them noticed it was gone.
 *
 * @module
 */

/** First retry delay after a failure. */
export const BACKOFF_BASE_MS = 250;
/**
 * Longest retry delay. With ffmpeg reaching its first frame ~0.5–0.9 s after connecting, a 1 s
 * cap brings a camera back within 2 s of its server answering again.
 */
export const BACKOFF_MAX_MS = 1000;

/**
 * The retry delay after `failures` consecutive failures: exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so streams that failed together do not
 * retry in lockstep.
 *
 * @param failures consecutive failures so far (≥ 1)
 * @param random source of randomness in [0, 1)
 * @param baseMs first delay
 * @param maxMs cap
 * @returns the delay in ms, within [d/2, d] where d = min(maxMs, baseMs·2^(failures−1))
 * @example
 * ```ts
 * backoffDelay(1, () => 0); // 125
 * backoffDelay(10, () => 0.999); // ≈ 1000
 * ```
 */
export function backoffDelay(
  failures: number,
  random: () => number = Math.random,
  baseMs = BACKOFF_BASE_MS,
  maxMs = BACKOFF_MAX_MS,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
