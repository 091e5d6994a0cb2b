/**
 * Events mode: which finished segments an event needs (within `preRoll` before it opened or
 * `postRoll` after it closed), which no event can need any more (past the pre-roll horizon plus
 * `graceMs`, and no open event that could still become a matching one, held at most
 * `maxHoldMs`), and which must wait. Pure: {@linkcode decidePending} is asked after every segment
 * and every event. README "Recording and clips" gives the rules.
 *
 * @module
 */

/** An event as the recorder follows it. */
export interface EventWindow {
  id: string;
  startMs: number;
  /** Null while open. */
  endMs: number | null;
  /** Whether it matches the recording's kinds and labels (it keeps video). */
  triggers: boolean;
  /** Whether it matches the labels (it may become a triggering event while open). */
  related: boolean;
}

/** Timing of the decisions. */
export interface WindowTiming {
  preRollMs: number;
  postRollMs: number;
  /** How late an event may be published after it started (default 10 s). */
  graceMs?: number;
  /** Longest a related open event holds segments (default 10 min). */
  maxHoldMs?: number;
}

/** The fate of a pending segment. */
export type PendingDecision = "keep" | "delete" | "wait";

/** Default of {@linkcode WindowTiming.graceMs}. */
export const EVENT_GRACE_MS = 10_000;
/** Default of {@linkcode WindowTiming.maxHoldMs}. */
export const MAX_HOLD_MS = 600_000;

/**
 * Whether a triggering window needs the span `[startMs, endMs)`.
 *
 * @param window the event
 * @param span the segment
 * @param timing pre and post roll
 * @returns true when the span overlaps `[start - preRoll, end + postRoll)` (open: no end)
 */
export function windowCovers(
  window: EventWindow,
  span: { startMs: number; endMs: number },
  timing: Pick<WindowTiming, "preRollMs" | "postRollMs">,
): boolean {
  if (!window.triggers) return false;
  const from = window.startMs - timing.preRollMs;
  const to = window.endMs === null ? Infinity : window.endMs + timing.postRollMs;
  return span.endMs > from && span.startMs < to;
}

/**
 * Decides one pending segment.
 *
 * @param span the segment
 * @param windows the events followed
 * @param timing pre/post roll, grace, hold limit
 * @param nowMs the current time
 * @returns keep, delete or wait
 * @example
 * ```ts
 * decidePending({ startMs: 0, endMs: 10_000 }, [], { preRollMs: 5000, postRollMs: 5000 }, 60_000);
 * // "delete"
 * ```
 */
export function decidePending(
  span: { startMs: number; endMs: number },
  windows: readonly EventWindow[],
  timing: WindowTiming,
  nowMs: number,
): PendingDecision {
  if (windows.some((w) => windowCovers(w, span, timing))) return "keep";
  const grace = timing.graceMs ?? EVENT_GRACE_MS;
  if (nowMs < span.endMs + timing.preRollMs + grace) return "wait";
  const maxHold = timing.maxHoldMs ?? MAX_HOLD_MS;
  const held = windows.some((w) =>
    w.related && w.endMs === null && w.startMs - timing.preRollMs < span.endMs &&
    nowMs - span.endMs < maxHold
  );
  return held ? "wait" : "delete";
}

/**
 * The events a recorder follows: opened, closed, and forgotten once no pending segment can
 * overlap them.
 */
export class EventWindows {
  #windows = new Map<string, EventWindow>();

  /** Every window followed. */
  get all(): EventWindow[] {
    return [...this.#windows.values()];
  }

  /**
   * Records an event's state (an open, update or close of the live feed).
   *
   * @param window the event as known now
   */
  set(window: EventWindow): void {
    this.#windows.set(window.id, { ...window });
  }

  /**
   * Forgets closed events that ended before `beforeMs` (no pending segment reaches back there).
   *
   * @param beforeMs the cut-off
   */
  prune(beforeMs: number): void {
    for (const [id, w] of this.#windows) {
      if (w.endMs !== null && w.endMs < beforeMs) this.#windows.delete(id);
    }
  }
}
