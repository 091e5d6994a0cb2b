/**
 * Events mode's rolling pre-roll: the finished segments a recorder holds back (unindexed, in
 * `incoming/`), the camera's events it follows from the live feed, and the split of the held
 * segments into those an event needs, those none can need any more, and those that wait
 * (models/recording/event_windows.ts decides each). The recorder indexes or deletes the files.
 *
 * @module
 */
import type { EventView } from "../../models/store/events.ts";
import { decidePending, EventWindows } from "../../models/recording/event_windows.ts";
import { eventTriggers, type RecordingSettings } from "../../models/recording/settings.ts";

/** A finished segment placed in time. */
export interface Placed {
  startMs: number;
  endMs: number;
}

/** The held segments and the events that decide them. */
export class Preroll<S extends Placed> {
  #held: S[] = [];
  #windows = new EventWindows();

  /** Segments held now. */
  get size(): number {
    return this.#held.length;
  }

  /** Holds a finished segment until it is decided. */
  hold(segment: S): void {
    this.#held.push(segment);
  }

  /** Gives up every held segment (recording switched to continuous: all are kept). */
  takeAll(): S[] {
    const all = this.#held;
    this.#held = [];
    return all;
  }

  /**
   * Follows an event of the camera (an open, update or close on the live feed).
   *
   * @param event the event as the feed shows it
   * @param settings the recording's settings: which kinds and labels keep video
   */
  follow(event: EventView, settings: RecordingSettings): void {
    const { labels } = settings.events;
    this.#windows.set({
      id: event.id,
      startMs: Date.parse(event.startedAt),
      endMs: event.endedAt === null ? null : Date.parse(event.endedAt),
      triggers: eventTriggers(settings, event),
      // A related open event may still turn into a triggering one (loitering); offline never.
      related: event.kind !== "offline" &&
        (labels.length === 0 || (event.label !== null && labels.includes(event.label))),
    });
  }

  /**
   * Splits the held segments; those that wait stay held.
   *
   * @param settings pre and post roll
   * @param nowMs the current time
   * @param final recording stopped: nothing waits any more
   * @returns the segments to index and those to delete
   */
  decide(settings: RecordingSettings, nowMs: number, final: boolean): { keep: S[]; drop: S[] } {
    const timing = { preRollMs: settings.preRollS * 1000, postRollMs: settings.postRollS * 1000 };
    const keep: S[] = [];
    const drop: S[] = [];
    const waiting: S[] = [];
    for (const segment of this.#held) {
      const decision = decidePending(segment, this.#windows.all, timing, nowMs);
      if (decision === "keep") keep.push(segment);
      else if (decision === "delete" || final) drop.push(segment);
      else waiting.push(segment);
    }
    this.#held = waiting;
    this.#windows.prune((waiting[0]?.startMs ?? nowMs) - timing.postRollMs);
    return { keep, drop };
  }
}
