/**
 * The "latest frame wins" slot between a camera's capture and its consumers: it holds at most one
 * frame, a new frame replaces the old one, and a frame nobody took before it was replaced counts
 * as dropped. A slow consumer therefore sees fewer frames, never older ones, and memory stays flat.
 *
 * @module
 */

/** One decoded frame: rgb24, row-major; structurally a detector `Frame` plus time and sequence. */
export interface CapturedFrame {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 3` bytes, rgb24. Treat as immutable: copy before transferring. */
  data: Uint8Array;
  /** When the frame arrived, epoch ms. */
  ts: number;
  /** Sequence number from the capture, increasing by one per frame. */
  seq: number;
}

/** Counters of a {@linkcode FrameSlot}. */
export interface FrameSlotStats {
  /** Frames put. */
  put: number;
  /** Frames handed out by `next()`. */
  taken: number;
  /** Frames replaced before anyone took them. */
  dropped: number;
}

interface Waiter {
  resolve: (frame: CapturedFrame) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A bounded, single-frame mailbox. `put` never blocks; `next` waits for a frame not yet taken.
 *
 * @example
 * ```ts
 * const slot = new FrameSlot();
 * slot.put({ width: 2, height: 1, data: new Uint8Array(6), ts: Date.now(), seq: 1 });
 * const frame = await slot.next(); // seq 1
 * ```
 */
export class FrameSlot {
  #frame: CapturedFrame | null = null;
  #taken = false;
  #waiters = new Set<Waiter>();
  #stats: FrameSlotStats = { put: 0, taken: 0, dropped: 0 };

  /**
   * Stores a frame, replacing the previous one, and wakes every waiting consumer with it.
   *
   * @param frame the new frame
   */
  put(frame: CapturedFrame): void {
    this.#stats.put++;
    if (this.#frame !== null && !this.#taken) this.#stats.dropped++;
    this.#frame = frame;
    this.#taken = false;
    if (this.#waiters.size === 0) return;
    this.#taken = true;
    this.#stats.taken++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) {
      w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(frame);
    }
  }

  /**
   * The latest frame without taking it (snapshots, status).
   *
   * @returns the latest frame or `null` before the first one
   */
  peek(): CapturedFrame | null {
    return this.#frame;
  }

  /**
   * Takes the latest frame if nobody took it yet, otherwise waits for the next one.
   *
   * @param signal aborts the wait (rejects with the signal's reason)
   * @returns the frame
   * @throws the abort reason when `signal` aborts
   */
  next(signal?: AbortSignal): Promise<CapturedFrame> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#frame !== null && !this.#taken) {
      this.#taken = true;
      this.#stats.taken++;
      return Promise.resolve(this.#frame);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters.delete(waiter);
          reject(signal?.reason);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
    });
  }

  /**
   * Counters since creation.
   *
   * @returns a copy of the counters
   */
  stats(): FrameSlotStats {
    return { ...this.#stats };
  }
}
