/**
 * Which profile does what: the largest stream is recorded (best evidence); analysis decodes the
 * smallest stream that still holds the analysis frame (the capture scales every frame to 640x360,
 * and decoding a 1080p main stream costs about five times a 360p sub-stream,
 * docs/decisions/analysis-substream.md).
 *
 * @module
 */
import type { MediaProfile } from "./media_replies.ts";

/** The two roles a profile can play. */
export interface ProfileChoice<P extends MediaProfile> {
  recording: P;
  analysis: P;
}

/** What an analysed stream must hold: the capture's analysis size and rate. */
export interface AnalysisMinimum {
  width: number;
  height: number;
  /** Frames per second, checked only when the camera reports a profile's rate. */
  fps: number;
}

/** The capture's analysis frame (actors/camera/camera_unit.ts) at the default 5 frames/s. */
export const ANALYSIS_MINIMUM: AnalysisMinimum = { width: 640, height: 360, fps: 5 };

/**
 * Picks the recording profile (most pixels, then highest fps, then camera order) and the analysis
 * profile: of those at least `minimum` wide and high (and fast, when the rate is reported), the
 * fewest pixels, then highest fps, then camera order; when none is that large, the recording
 * profile (upscaling a smaller stream would detect less). With one profile, both are it.
 *
 * @param profiles the camera's video profiles
 * @param minimum what the analysed stream must hold; default {@linkcode ANALYSIS_MINIMUM}
 * @returns the choice, or undefined when there are no profiles
 * @example
 * ```ts
 * chooseProfiles([main1080p, sub360p, tiny176x144]); // { recording: main1080p, analysis: sub360p }
 * ```
 */
export function chooseProfiles<P extends MediaProfile>(
  profiles: P[],
  minimum: AnalysisMinimum = ANALYSIS_MINIMUM,
): ProfileChoice<P> | undefined {
  if (profiles.length === 0) return undefined;
  const pixels = (p: P) => p.width * p.height;
  const fps = (p: P) => p.fps ?? 0;
  const largest = [...profiles].sort((a, b) => pixels(b) - pixels(a) || fps(b) - fps(a));
  const recording = largest[0]!;
  const holds = (p: P) =>
    p.width >= minimum.width && p.height >= minimum.height &&
    (p.fps === undefined || p.fps >= minimum.fps);
  const smallest = profiles.filter(holds).sort((a, b) => pixels(a) - pixels(b) || fps(b) - fps(a));
  return { recording, analysis: smallest[0] ?? recording };
}
