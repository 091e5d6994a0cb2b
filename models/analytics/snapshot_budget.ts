/**
 * Which queued event batches may hold their frame's pixels while they wait for the snapshot
 * encoder. A 640x360 frame is 0.7 MB; on a busy scene the event queue of a camera held 16 of them
 * (11 MB) in the cameras bench, though most batches draw no snapshot (an event's better frame is
 * drawn at most every {@linkcode SNAPSHOT_MIN_INTERVAL_MS}). Only a batch that will draw one holds
 * pixels: an opening event always may, up to {@linkcode MAX_PENDING_WITH_FRAMES}; a better frame
 * of an open event only when its interval has passed and no other batch waits with pixels.
 *
 * @module
 */
import type { EventAction } from "./event_types.ts";

/**
 * A better frame replaces an event's snapshot at most this often: each snapshot is an ffmpeg
 * encode, CPU the detector on a small box would rather have.
 */
export const SNAPSHOT_MIN_INTERVAL_MS = 3000;
/** Batches that may wait holding pixels; later ones are recorded without a snapshot. */
export const MAX_PENDING_WITH_FRAMES = 3;

/**
 * Decides, when a batch is queued, whether it keeps its frame's pixels; counts the batches that
 * wait with them.
 *
 * @example
 * ```ts
 * const budget = new SnapshotBudget();
 * const keep = budget.admit(actions, Date.now()); // true: an event opens with a box
 * // … once the batch is applied:
 * if (keep) budget.release();
 * ```
 */
export class SnapshotBudget {
  #waiting = 0;
  // When each open event last had a batch queued with pixels: known when the batch is queued,
  // while the recorder's own snapshot times are only known once the queue reaches the batch.
  #queuedAt = new Map<string, number>();

  /**
   * Whether a batch keeps its pixels; when it does, {@linkcode release} must follow once it ran.
   *
   * @param actions the batch
   * @param now wall clock, ms
   * @returns true when the batch will draw a snapshot and there is room to wait with it
   */
  admit(actions: readonly EventAction[], now: number): boolean {
    for (const a of actions) if (a.type === "close") this.#queuedAt.delete(a.key);
    if (actions.some((a) => a.type === "open" && a.event.box)) {
      if (this.#waiting >= MAX_PENDING_WITH_FRAMES) return false;
      for (const a of actions) if (a.type === "open") this.#queuedAt.set(a.key, now);
      this.#waiting++;
      return true;
    }
    const due = actions.filter((a) =>
      a.type === "update-best" &&
      now - (this.#queuedAt.get(a.key) ?? -Infinity) >= SNAPSHOT_MIN_INTERVAL_MS
    );
    if (due.length === 0 || this.#waiting > 0) return false;
    for (const a of due) this.#queuedAt.set(a.key, now);
    this.#waiting++;
    return true;
  }

  /** A batch that was admitted has run. */
  release(): void {
    this.#waiting = Math.max(0, this.#waiting - 1);
  }

  /** Batches waiting with pixels now. */
  get waiting(): number {
    return this.#waiting;
  }
}
