/**
 * When a camera's keep-alive may slow to `rules.idleKeepAliveFps`: the motion gate runs the
 * detector on any change against the last detected frame, so on a still scene the keep-alive only
 * re-confirms what that frame showed. It is needed at the full `keepAliveFps` only while the
 * tracker or the event rules still wait on a run: a track not yet confirmed (its event opens on
 * hits), a track missed in the last run (it leaves after `leaveAfterMs` of runs without it), or a
 * rule of the event engine (a zone leave being confirmed, a loitering timer, a crossing waiting
 * for confirmation: `eventsWaitOnRun` in events.ts). A parked car or a person standing still,
 * seen in the last run, waits for nothing: it stays tracked, its event stays open, and it gets a
 * detection row at the idle rate.
 *
 * @module
 */
import type { Track } from "./tracker.ts";

/**
 * Whether the scene is settled: nothing tracked waits on the next detector run.
 *
 * @param tracks the live tracks after the last detector run
 * @param rulesWait the event engine waits on a run (`eventsWaitOnRun`)
 * @returns true when the idle keep-alive rate may apply
 * @example
 * ```ts
 * sceneSettled([], false); // true: nothing tracked
 * sceneSettled([{ confirmed: true, misses: 0 }], false); // true: a parked car
 * sceneSettled([{ confirmed: true, misses: 1 }], false); // false: it may be leaving
 * ```
 */
export function sceneSettled(
  tracks: readonly Pick<Track, "confirmed" | "misses">[],
  rulesWait: boolean,
): boolean {
  return !rulesWait && tracks.every((t) => t.confirmed && t.misses === 0);
}
