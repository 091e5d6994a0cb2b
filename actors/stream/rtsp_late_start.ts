/**
 * A reader that joined late: the keyframe cache it starts from, and the live packets after it, go
 * out on the reader's own schedule (`lateStartDelay`, models/rtsp/late_start.ts) until it has
 * caught up with the live edge; then its stream sends to it directly again. The schedule runs on
 * each track's RTP time (`mediaOffset`), never on the publisher's clock mapping (which can put
 * media ahead of its arrival). Why not all at once: docs/decisions/relay-late-reader-pacing.md.
 *
 * @module
 */

import {
  caughtUp,
  lateStartDelay,
  mediaOffset,
  type MediaOrigin,
} from "../../models/rtsp/late_start.ts";
import { rtpTimestamp } from "../../models/rtsp/rtp.ts";
import { INTERLEAVED_HEADER } from "../../models/rtsp/interleaved.ts";
import { Pacer } from "./rtsp_pacer.ts";

/** Bytes a frame of a held packet costs besides its own (the entry); sizes the packet bound. */
const HELD_PACKET_COST = 64;

/** One late reader's pacing. */
export class LateStart {
  readonly #pacer: Pacer;
  /** When the reader started (epoch ms). */
  readonly #at: number;
  /** How far its first packet was behind the live edge then, ms. */
  readonly #behind: number;
  /** When the relay received its first packet (epoch ms). */
  readonly #origin: number;
  /** Each track's clock rate, Hz. */
  readonly #rates: readonly number[];
  /** Where each track's media starts. */
  readonly #origins: (MediaOrigin | undefined)[] = [];
  /** Media of the newest packet offered, ms after the first. */
  #latest = 0;
  /** The held lag outgrew the bound: what was held is dropped, the catch-up is over. */
  #gaveUp = false;

  /**
   * @param send writes a frame to the reader (at its due time)
   * @param behindMs how far the reader's first packet is behind the live edge, ms (`burstAge`)
   * @param clockRates each track's clock rate, Hz
   * @param maxBytes most bytes held for it (its connection's queue limit: more could not be
   *   queued to it either); past it the catch-up gives up (`gaveUp`)
   * @param now wall clock, ms
   */
  constructor(
    send: (frame: Uint8Array) => void,
    behindMs: number,
    clockRates: readonly number[],
    maxBytes: number,
    now: number,
  ) {
    const bytes = Math.max(1, maxBytes);
    this.#pacer = new Pacer((_track, frame) => send(frame), {
      bytes,
      packets: Math.ceil(bytes / HELD_PACKET_COST),
      full: () => {
        this.#gaveUp = true;
        this.#pacer.discard();
      },
    });
    this.#at = now;
    this.#behind = Math.max(0, behindMs);
    this.#origin = now - this.#behind;
    this.#rates = clockRates;
  }

  /**
   * Sends a frame when it is due, after every frame offered before it; dropped once the catch-up
   * gave up.
   *
   * @param track its track
   * @param frame the interleaved RTP frame, on the reader's channel
   * @param receivedAt when the relay received it (epoch ms): places its track's first packet
   * @param now wall clock, ms
   */
  offer(track: number, frame: Uint8Array, receivedAt: number, now: number): void {
    if (this.#gaveUp) return;
    const ts = rtpTimestamp(frame.subarray(INTERLEAVED_HEADER));
    const origin = this.#origins[track] ??= { ts, ms: receivedAt - this.#origin };
    const media = mediaOffset(origin, ts, this.#rates[track] ?? 90_000);
    this.#latest = Math.max(this.#latest, media);
    // Caught up: due now, behind what is held. Never later than the reader's lag from now, so
    // that one odd timestamp (a camera's clock step) cannot hold the rest.
    const due = caughtUp(media, this.#behind)
      ? now
      : Math.min(this.#at + lateStartDelay(media, this.#behind), now + this.#behind);
    this.#pacer.offer({ track, frame, due }, now);
  }

  /** Whether the reader has caught up and nothing is held: it can be sent to directly. */
  get done(): boolean {
    return !this.#gaveUp && this.#pacer.held === 0 && caughtUp(this.#latest, this.#behind);
  }

  /**
   * Whether the lag it held outgrew the bound (the bitrate rose): what was held is dropped, and
   * the reader waits for the next keyframe to go on live.
   */
  get gaveUp(): boolean {
    return this.#gaveUp;
  }

  /** Drops what is held (the reader is gone). */
  discard(): void {
    this.#pacer.discard();
  }
}
