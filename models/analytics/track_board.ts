/**
 * The board where a camera's analysis posts what it currently sees — the tracked objects of the
 * last analysed frame, normalized to 0..1 — for annotated live streams to draw. One value, the
 * latest, replaced on every analysed frame (also when the motion gate skipped the detector: a
 * still scene keeps its objects where they were). Readers can wait for the next post.
 *
 * @module
 */
import type { Box } from "../detectors/types.ts";

/** One object as drawn on a live picture. */
export interface BoardObject {
  /** Box normalized to 0..1 of the frame. */
  box: Box;
  label: string;
  trackId: string;
  score: number;
}

/** What the analysis saw in one analysed frame. */
export interface BoardPost {
  /** When that frame arrived, epoch ms. */
  ts: number;
  /** The analysis period (1000 / fps) at the time. */
  intervalMs: number;
  objects: BoardObject[];
}

/**
 * Latest-value board with waiters.
 *
 * @example
 * ```ts
 * const board = new TrackBoard();
 * board.post({ ts: Date.now(), intervalMs: 200, objects: [] });
 * board.latest()?.objects; // []
 * ```
 */
export class TrackBoard {
  #latest: BoardPost | undefined;
  #waiters = new Set<() => void>();

  /** The last post, or undefined while analysis is not running. */
  latest(): BoardPost | undefined {
    return this.#latest;
  }

  /**
   * Replaces the current post and wakes the waiters.
   *
   * @param post what the analysis saw
   */
  post(post: BoardPost): void {
    this.#latest = post;
    this.#wake();
  }

  /** Analysis stopped: nothing to draw any more. */
  clear(): void {
    this.#latest = undefined;
    this.#wake();
  }

  /**
   * Resolves at the next post or clear, or when `signal` aborts (never rejects).
   *
   * @param signal stops waiting
   */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
