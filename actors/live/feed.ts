/**
 * How pictures travel from a shared transcoder to the sessions reading it. A {@linkcode Feed} is a
 * transcoder's output: access units (or JPEG frames) fanned out to its subscribers as they come,
 * never buffered. A {@linkcode Tap} is a session's end: it follows one feed at a time and, told
 * to follow another (a quality switch), keeps the old one playing until the new one reaches a
 * keyframe, then swaps — so the reader sees the old picture up to the instant the new one can be
 * decoded, and never a partial picture.
 *
 * @module
 */

/** One unit of a live stream. */
export interface MediaUnit {
  /** An Annex B access unit or one JPEG image. */
  data: Uint8Array;
  /** A reader can start here (IDR/IRAP with parameter sets, or any JPEG). */
  keyframe: boolean;
}

/** A transcoder's output. */
export class Feed {
  #listeners = new Set<(unit: MediaUnit) => void>();
  /** Units published so far. */
  units = 0;
  /** When the last unit was published, epoch ms (0 before the first). */
  lastUnitAt = 0;

  /**
   * @param codec what the units are
   */
  constructor(readonly codec: "h264" | "h265" | "jpeg") {}

  /** Number of taps following this feed. */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /**
   * Follows the feed.
   *
   * @param listener receives every unit from now on
   * @returns unsubscribe
   */
  subscribe(listener: (unit: MediaUnit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hands a unit to every subscriber (the transcoder's reader calls this).
   *
   * @param unit the unit; subscribers must not change its bytes
   */
  publish(unit: MediaUnit): void {
    this.units++;
    this.lastUnitAt = Date.now();
    for (const listener of this.#listeners) listener(unit);
  }
}

/** Where a tap delivers. */
export interface TapSink {
  /** A unit to deliver; returns false when the sink could not take it (too far behind). */
  write(unit: MediaUnit): boolean;
  /** The next unit written comes from another feed (a quality switch). */
  switched(feed: Feed): void;
}

/**
 * A session's end of the feeds: delivers one feed, starting at a keyframe; switches at the new
 * feed's first keyframe; after a refused write, skips to the next keyframe.
 *
 * @example
 * ```ts
 * const tap = new Tap(sink);
 * await tap.follow(feed720);   // resolves at the first keyframe delivered
 * await tap.follow(feed360);   // the 720p picture plays until 360p has a keyframe
 * tap.close();
 * ```
 */
export class Tap {
  #current: { feed: Feed; off: () => void } | undefined;
  #pending: { feed: Feed; off: () => void; resolve: () => void } | undefined;
  #resync = true;
  /** Units dropped because the sink fell behind. */
  dropped = 0;

  /** @param sink where units go */
  constructor(readonly sink: TapSink) {}

  /** The feed being delivered, if any. */
  get feed(): Feed | undefined {
    return this.#current?.feed;
  }

  /**
   * Starts following `feed`: resolves once its first keyframe was delivered (the swap is done).
   * A follow that is overtaken by another resolves too, without swapping.
   *
   * @param feed the feed to deliver from now on
   */
  follow(feed: Feed): Promise<void> {
    this.abandon();
    return new Promise((resolve) => {
      // One subscription per feed serves both while pending and once current.
      const off = feed.subscribe((unit) => this.#onUnit(feed, unit));
      this.#pending = { feed, off, resolve };
    });
  }

  /** Stops following any feed. */
  close(): void {
    this.abandon();
    this.#current?.off();
    this.#current = undefined;
  }

  /** Gives up a follow that has not swapped yet; the current feed keeps playing. */
  abandon(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.off();
    pending?.resolve();
  }

  #onUnit(feed: Feed, unit: MediaUnit): void {
    if (this.#current?.feed === feed) return this.#deliver(unit);
    const pending = this.#pending;
    if (pending?.feed !== feed || !unit.keyframe) return;
    this.#pending = undefined;
    this.#current?.off();
    this.#current = { feed, off: pending.off };
    this.sink.switched(feed);
    this.#resync = false;
    this.#deliver(unit);
    pending.resolve();
  }

  #deliver(unit: MediaUnit): void {
    if (this.#resync && !unit.keyframe) {
      this.dropped++;
      return;
    }
    this.#resync = false;
    if (!this.sink.write(unit)) {
      this.dropped++;
      this.#resync = true;
    }
  }
}
