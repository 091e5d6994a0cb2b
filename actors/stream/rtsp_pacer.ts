/**
 * Packets held until due and sent in arrival order: a path's catch-up pacing of a publisher's
 * buffered start (`catchUpDue` in models/rtsp/rtp.ts), and a late reader's own pacing of its
 * keyframe burst (rtsp_late_start.ts). The queue is bounded (packets and bytes) so a stream
 * that pacing cannot keep up with goes out at once rather than piling up in memory.
 *
 * @module
 */

/** A packet due this soon goes out now (timers are not finer than that anyway). */
export const PACING_SLACK_MS = 4;
/** Most packets held; beyond, everything held goes out (a few seconds of a 4K stream fit). */
export const PACED_MAX_PACKETS = 8192;
/** Most bytes held; beyond, everything held goes out. */
export const PACED_MAX_BYTES = 16 << 20;

/** A held packet. */
export interface PacedPacket {
  track: number;
  /** The interleaved frame, rewritten. */
  frame: Uint8Array;
  /** When it is due (epoch ms). */
  due: number;
}

/** The held packets of one path and the timer that sends them. */
export class Pacer {
  #held: PacedPacket[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param deliver sends one packet out (at its due time, or when the queue is flushed) */
  constructor(readonly deliver: (track: number, frame: Uint8Array, now: number) => void) {}

  /** The first held packet of a track, if any. */
  first(track: number): PacedPacket | undefined {
    return this.#held.find((p) => p.track === track);
  }

  /** How many packets are held. */
  get held(): number {
    return this.#held.length;
  }

  /** Drops the held packets without sending them (their reader is gone) and stops the timer. */
  discard(): void {
    this.#held = [];
    this.#bytes = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Sends a packet now or holds it: held when it is due later, or when packets ahead of it are
   * held (the order is kept). A packet that is not paced (`due` 0: after the window, or a
   * timestamp jump) sends everything held first.
   *
   * @param packet the packet and when it is due (0: at once)
   * @param now wall clock, ms
   */
  offer(packet: PacedPacket, now: number): void {
    if (packet.due === 0 && this.#held.length > 0) this.flush(Infinity);
    if (this.#held.length === 0 && packet.due <= now + PACING_SLACK_MS) {
      this.deliver(packet.track, packet.frame, now);
      return;
    }
    this.#held.push(packet);
    this.#bytes += packet.frame.length;
    if (this.#held.length > PACED_MAX_PACKETS || this.#bytes > PACED_MAX_BYTES) {
      this.flush(Infinity);
      return;
    }
    this.#schedule();
  }

  /** Sends the held packets due by `until` (all with `Infinity`). */
  flush(until: number): void {
    while (this.#held.length > 0 && this.#held[0]!.due <= until) {
      const next = this.#held.shift()!;
      this.#bytes -= next.frame.length;
      this.deliver(next.track, next.frame, Date.now());
    }
    if (this.#held.length === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#held.length === 0) return;
    const wait = Math.max(0, this.#held[0]!.due - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush(Date.now() + PACING_SLACK_MS);
      this.#schedule();
    }, wait);
  }
}
