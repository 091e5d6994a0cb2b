/**
 * Which profile does what: the largest stream is recorded (best evidence), the smallest is analysed
 * (detection downsizes to ~512 px anyway, and decoding a sub-stream costs a fraction of the main).
 *
 * @module
 */
import type { MediaProfile } from "./media_replies.ts";

/** The two roles a profile can play. */
export interface ProfileChoice<P extends MediaProfile> {
  recording: P;
  analysis: P;
}

/**
 * Picks the recording profile (most pixels, then highest fps, then camera order) and the analysis
 * profile (fewest pixels, then highest fps, then camera order). With one profile, both are it.
 *
 * @param profiles the camera's video profiles
 * @returns the choice, or undefined when there are no profiles
 * @example
 * ```ts
 * chooseProfiles([main1080p, sub360p]); // { recording: main1080p, analysis: sub360p }
 * ```
 */
export function chooseProfiles<P extends MediaProfile>(
  profiles: P[],
): ProfileChoice<P> | undefined {
  if (profiles.length === 0) return undefined;
  const pixels = (p: P) => p.width * p.height;
  const fps = (p: P) => p.fps ?? 0;
  const largest = [...profiles].sort((a, b) => pixels(b) - pixels(a) || fps(b) - fps(a));
  const smallest = [...profiles].sort((a, b) => pixels(a) - pixels(b) || fps(b) - fps(a));
  return { recording: largest[0]!, analysis: smallest[0]! };
}
