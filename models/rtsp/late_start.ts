/**
 * When a late reader's packets are due: it starts from the keyframe cache, up to a GOP of media
 * older than the live edge, and must never get it faster than a receiver's jitter buffer can
 * follow. GStreamer's rtpjitterbuffer (slave mode, rtspsrc's default) stamps each picture from
 * its arrival time plus a clock skew that, over its first 2 s of RTP time, moves towards the
 * smallest (arrival − RTP) difference seen, with a weight growing as (RTP time / 2 s)²; later it
 * averages over 125 packets, and a difference more than 1 s off the skew resets it. Media that
 * arrives faster than real time lowers that difference; past about 0.6 s of it in one instant the
 * skew moves faster than RTP time, pictures come out stamped earlier than the one before, are
 * clamped to its stamp, and h264parse drops the repeated stamp ("Buffer has no PTS" in mp4mux).
 * So a late reader gets the first {@linkcode FAST_CATCH_UP_MS} of its lag back at twice real time,
 * then real time, and after {@linkcode SETTLE_MS} of media the rest at
 * {@linkcode SLOW_CATCH_UP} faster than real time. See docs/decisions/relay-late-reader-pacing.md.
 *
 * @module
 */

/** How much of a late reader's lag it catches up at twice real time, ms. */
export const FAST_CATCH_UP_MS = 500;
/** Media after which the rest of the lag shrinks slowly (a receiver's skew window is 2 s). */
export const SETTLE_MS = 2000;
/** How much faster than real time the rest of the lag is caught up (1.2 s a minute). */
export const SLOW_CATCH_UP = 0.02;

/**
 * When a late reader's packet is due, after the reader started.
 *
 * @param mediaMs how far the packet's media is after the reader's first packet, ms
 *   (`mediaOffset`)
 * @param behindMs how far the reader's first packet was behind the live edge when it started, ms
 * @returns ms after the start at which the packet goes out (never more than `mediaMs`, never less
 *   than `mediaMs − behindMs`: a reader is never ahead of the live edge)
 * @example
 * ```ts
 * lateStartDelay(800, 900); // 400: the first 0.5 s of lag comes back at twice real time
 * lateStartDelay(1500, 900); // 1000: then real time
 * ```
 */
export function lateStartDelay(mediaMs: number, behindMs: number): number {
  const media = Math.max(0, mediaMs);
  const behind = Math.max(0, behindMs);
  const fast = Math.min(behind, FAST_CATCH_UP_MS);
  if (media <= 2 * fast) return media / 2;
  const slow = Math.min(behind - fast, Math.max(0, media - SETTLE_MS) * SLOW_CATCH_UP);
  return media - fast - slow;
}

/**
 * Whether a late reader has caught up with the live edge from this much media on: its packets
 * then go out as they come.
 *
 * @param mediaMs media since the reader's first packet, ms
 * @param behindMs how far its first packet was behind the live edge, ms
 * @returns true once the whole lag is caught up
 */
export function caughtUp(mediaMs: number, behindMs: number): boolean {
  return lateStartDelay(mediaMs, behindMs) <= Math.max(0, mediaMs) - Math.max(0, behindMs);
}

/**
 * How far a late reader's start burst is behind the live edge: since the relay received its
 * oldest packet (the keyframe cache is in arrival order, every track's packets in it).
 *
 * @param burst the cached packets with when the relay received them (epoch ms)
 * @param now wall clock, ms
 * @returns ms (0 for an empty burst)
 * @example
 * ```ts
 * burstAge([{ at: 1000 }, { at: 1040 }], 1900); // 900
 * ```
 */
export function burstAge(burst: readonly { at: number }[], now: number): number {
  let oldest = now;
  for (const c of burst) oldest = Math.min(oldest, c.at);
  return now - oldest;
}

/** Where a track's media starts for a late reader: its first packet's RTP time and offset. */
export interface MediaOrigin {
  /** RTP time of the track's first packet to the reader. */
  ts: number;
  /** How far that packet is after the reader's first one, ms (when the relay received them). */
  ms: number;
}

/**
 * How far a packet's media is after a late reader's first packet: its RTP time after its track's
 * first one, that track's start aligned on when the relay received it. Never the publisher's
 * clock mapping, which can put media ahead of its arrival (ffmpeg's by about a second).
 *
 * @param origin the track's start
 * @param ts the packet's RTP time (within 2^31 ticks of the origin's: it wraps at 2^32)
 * @param clockRate the track's clock rate, Hz
 * @returns ms
 * @example
 * ```ts
 * mediaOffset({ ts: 1000, ms: 40 }, 1000 + 90_000, 90_000); // 1040
 * ```
 */
export function mediaOffset(origin: MediaOrigin, ts: number, clockRate: number): number {
  return origin.ms + (((ts - origin.ts) | 0) * 1000) / clockRate;
}
