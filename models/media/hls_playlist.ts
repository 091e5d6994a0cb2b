/**
 * The live HLS playlist of a session (RFC 8216), kept by Vigil rather than by ffmpeg so that a
 * quality switch — a new segmenter — is marked with `#EXT-X-DISCONTINUITY` and the discontinuity
 * sequence stays right as marked segments slide out of the window. Pure functions on a small
 * window value; the session actor holds the value and deletes the files it is told to.
 *
 * @module
 */

/** Segments listed in the playlist (about 6 s at 1 s segments). */
export const PLAYLIST_SEGMENTS = 6;
/**
 * Segments kept on disk after they leave the playlist: a player that loaded the previous
 * playlist may still fetch them. The directory never holds more than the sum of both.
 */
export const LINGER_SEGMENTS = 2;

/** One finished segment. */
export interface HlsSegment {
  /** Media sequence number: increases by one per segment, across quality switches. */
  seq: number;
  /** File name in the session's directory (`r<run>-<n>.ts`: each segmenter run has its own). */
  file: string;
  /** Duration in seconds. */
  duration: number;
  /** First segment after a quality switch: the player resets its decoder here. */
  discontinuity: boolean;
}

/** The sliding window of a live playlist. */
export interface HlsWindow {
  /** Listed segments, oldest first. */
  segments: HlsSegment[];
  /** Segments that left the list, not yet deleted. */
  lingering: HlsSegment[];
  /** Discontinuity tags that slid out of the list (EXT-X-DISCONTINUITY-SEQUENCE). */
  discontinuitySequence: number;
  /** Never decreases: RFC 8216 forbids a live playlist's target duration to change downwards. */
  targetDuration: number;
}

/** @returns a window with no segment yet */
export function emptyWindow(): HlsWindow {
  return { segments: [], lingering: [], discontinuitySequence: 0, targetDuration: 1 };
}

/**
 * Adds a finished segment and slides the window.
 *
 * @param window the current window (not changed)
 * @param segment the new segment
 * @returns the new window, and the segments whose files can now be deleted
 * @example
 * ```ts
 * const next = addSegment(emptyWindow(), { seq: 0, file: "r1-0.ts", duration: 1, discontinuity: false });
 * ```
 */
export function addSegment(
  window: HlsWindow,
  segment: HlsSegment,
): { window: HlsWindow; expired: HlsSegment[] } {
  const segments = [...window.segments, segment];
  const left = segments.splice(0, Math.max(0, segments.length - PLAYLIST_SEGMENTS));
  const lingering = [...window.lingering, ...left];
  const expired = lingering.splice(0, Math.max(0, lingering.length - LINGER_SEGMENTS));
  return {
    window: {
      segments,
      lingering,
      discontinuitySequence: window.discontinuitySequence +
        left.filter((s) => s.discontinuity).length,
      targetDuration: Math.max(window.targetDuration, Math.round(segment.duration)),
    },
    expired,
  };
}

/**
 * Renders the playlist.
 *
 * @param window the window
 * @returns the `index.m3u8` text
 */
export function renderPlaylist(window: HlsWindow): string {
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${window.targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${window.segments[0]?.seq ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}`,
    "#EXT-X-INDEPENDENT-SEGMENTS",
  ];
  for (const segment of window.segments) {
    if (segment.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
    lines.push(`#EXTINF:${segment.duration.toFixed(3)},`, segment.file);
  }
  return lines.join("\n") + "\n";
}

/** What segment file names look like: `r<run>-<n>.ts`. */
export const SEGMENT_FILE = /^r\d{1,9}-\d{1,9}\.ts$/;

/**
 * Reads one line of ffmpeg's CSV segment list (`r2-12.ts,3.960000,4.960000`).
 *
 * @param line the line
 * @returns the file name (without directory) and duration, or undefined for anything else
 */
export function parseSegmentLine(line: string): { file: string; duration: number } | undefined {
  const match = /^(?:.*\/)?([^/,]+),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(line.trim());
  if (!match || !SEGMENT_FILE.test(match[1]!)) return undefined;
  const duration = Number(match[3]) - Number(match[2]);
  if (!(duration >= 0 && duration < 3600)) return undefined;
  return { file: match[1]!, duration };
}
