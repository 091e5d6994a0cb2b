/**
 * Packets held until due and sent in arrival order: a path's catch-up pacing of a publisher's
 * buffered start (`catchUpDue` in models/rtsp/rtp.ts), and a late reader's own pacing of its
 * keyframe burst (rtsp_late_start.ts). The queue is bounded (packets and bytes): past the bound
 * a path's pacer sends everything held at once rather than piling it up in memory; a late reader's
 * pacer gives up instead (its `full` callback), so its queue is never flooded.
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

/** How much a pacer may hold, and what happens beyond. */
export interface PacerBound {
  /** Most packets held. */
  packets: number;
  /** Most bytes held. */
  bytes: number;
  /**
   * Called instead of holding a packet past the bound (the packet is not kept); without it,
   * everything held goes out at once.
   */
  full?: () => void;
}

/** The held packets of one path (or one late reader) and the timer that sends them. */
export class Pacer {
  #held: PacedPacket[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param deliver sends one packet out (at its due time, or when the queue is flushed)
   * @param bound how much it may hold (default: {@linkcode PACED_MAX_PACKETS},
   *   {@linkcode PACED_MAX_BYTES}, then everything goes out)
   */
  constructor(
    readonly deliver: (track: number, frame: Uint8Array, now: number) => void,
    readonly bound: PacerBound = { packets: PACED_MAX_PACKETS, bytes: PACED_MAX_BYTES },
  ) {}

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
    const { packets, bytes, full } = this.bound;
    if (full && (this.#held.length >= packets || this.#bytes + packet.frame.length > bytes)) {
      full();
      return;
    }
    this.#held.push(packet);
    this.#bytes += packet.frame.length;
    if (this.#held.length > packets || this.#bytes > bytes) {
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
