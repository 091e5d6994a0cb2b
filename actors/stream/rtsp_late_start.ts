/**
 * A reader that joined late: the keyframe cache it starts from, and the live packets after it, go
 * out on the reader's own schedule (`lateStartDelay`, models/rtsp/late_start.ts) until it has
 * caught up with the live edge; then its stream sends to it directly again. Why not all at once:
 * docs/decisions/relay-late-reader-pacing.md.
 *
 * @module
 */

import { caughtUp, lateStartDelay } from "../../models/rtsp/late_start.ts";
import { rtpTimestamp, type TrackClock, wallTime } from "../../models/rtsp/rtp.ts";
import { INTERLEAVED_HEADER } from "../../models/rtsp/interleaved.ts";
import { Pacer, PACING_SLACK_MS } from "./rtsp_pacer.ts";

/** One late reader's pacing. */
export class LateStart {
  readonly #pacer: Pacer;
  /** When the reader started (epoch ms). */
  readonly #at: number;
  /** How far its first packet was behind the live edge then, ms. */
  readonly #behind: number;
  /** Wall-clock time of its first packet (epoch ms). */
  readonly #origin: number;
  /** Media of the newest packet offered, ms after the first. */
  #latest = 0;

  /**
   * @param send writes a frame to the reader (at its due time)
   * @param behindMs how far the reader's first packet is behind the live edge, ms
   * @param now wall clock, ms
   */
  constructor(send: (frame: Uint8Array) => void, behindMs: number, now: number) {
    this.#pacer = new Pacer((_track, frame) => send(frame));
    this.#at = now;
    this.#behind = Math.max(0, behindMs);
    this.#origin = now - this.#behind;
  }

  /**
   * Sends a frame when it is due, after every frame offered before it.
   *
   * @param track its track
   * @param frame the interleaved frame, on the reader's channel
   * @param wallMs the wall-clock time of its media (`wallTime`), null when unknown (it then goes
   *   with the newest one)
   * @param now wall clock, ms
   */
  offer(track: number, frame: Uint8Array, wallMs: number | null, now: number): void {
    const media = wallMs === null ? this.#latest : wallMs - this.#origin;
    this.#latest = Math.max(this.#latest, media);
    let due = this.#at + lateStartDelay(media, this.#behind);
    // No packet is due later than the reader's lag from now: one that would be (a camera's clock
    // step forward) is not media to wait for, or it would hold the reader for as long.
    if (due > now + this.#behind + PACING_SLACK_MS) due = 0;
    this.#pacer.offer({ track, frame, due }, now);
  }

  /** Whether the reader has caught up and nothing is held: it can be sent to directly. */
  get done(): boolean {
    return this.#pacer.held === 0 && caughtUp(this.#latest, this.#behind);
  }

  /** Drops what is held (the reader is gone). */
  discard(): void {
    this.#pacer.discard();
  }
}

/**
 * How far the oldest packet of any track in a reader's start burst is behind the live edge.
 *
 * @param clocks the clock of each track
 * @param burst interleaved RTP frames, oldest first per track
 * @param now wall clock, ms
 * @returns ms (0 for an empty burst or tracks without a mapping yet)
 */
export function burstAge(
  clocks: readonly TrackClock[],
  burst: readonly { track: number; frame: Uint8Array }[],
  now: number,
): number {
  let behind = 0;
  const seen = new Set<number>();
  for (const c of burst) {
    if (seen.has(c.track)) continue;
    seen.add(c.track);
    const clock = clocks[c.track];
    const wall = clock && wallTime(clock, rtpTimestamp(c.frame.subarray(INTERLEAVED_HEADER)));
    if (wall != null) behind = Math.max(behind, now - wall);
  }
  return behind;
}
