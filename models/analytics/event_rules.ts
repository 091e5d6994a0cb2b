/**
 * The per-rule steps of the event reducer in {@link ./events.ts}: zone visits (enter, debounced
 * leave, loitering), line crossings, and opening/closing events in the state. Pure: they mutate
 * only the (already cloned) state and the action list they are given.
 *
 * @module
 */
import type { Box } from "../detectors/types.ts";
import { type Point, pointInPolygon, segmentsIntersect, sideOfLine } from "./geometry.ts";
import type { CrossingLine, Zone } from "./settings.ts";
import type { Track } from "./tracker.ts";
import type {
  CrossDirection,
  EventAction,
  EventRecord,
  EventState,
  OpenEntry,
  TrackMemory,
} from "./event_types.ts";

export function cares(classes: readonly string[] | undefined, label: string): boolean {
  return classes === undefined || classes.includes(label);
}

/**
 * The `zone` and `loitering` rules for one zone and one track seen in this frame. `zone`: the
 * track's foot point inside a zone whose classes include its label; opens on enter (for a track
 * confirmed later, at confirmation, started at the enter time) and closes on leave. A leave counts
 * only after the foot point stayed outside for `leaveAfterMs`, so jitter on the border makes no
 * enter/leave pairs; the end time is when it stepped out, and a real re-entry is a new visit. Key
 * `zone:<zone>:<track>:<visit>`. `loitering`: inside one zone for its `loiterSeconds` without
 * leaving; opens once per track per zone (started at the enter time), closes with the visit. Key
 * `loitering:<zone>:<track>:<visit>`.
 */
export function visitZone(
  state: EventState,
  memory: TrackMemory,
  zone: Zone,
  track: Track,
  foot: Point,
  now: number,
  about: { label: string; trackId: string; score: number; box: Box },
  actions: EventAction[],
): void {
  const inside = pointInPolygon(foot, zone.polygon);
  let visit = memory.visits.get(zone.name);
  if (inside && !visit) {
    const number = (memory.visitCount.get(zone.name) ?? 0) + 1;
    memory.visitCount.set(zone.name, number);
    visit = { visit: number, enteredAt: now };
    memory.visits.set(zone.name, visit);
  }
  if (!visit) return;
  if (inside) {
    delete visit.outsideSince;
  } else {
    visit.outsideSince ??= now;
    if (now - visit.outsideSince >= state.config.leaveAfterMs) {
      leaveZone(state, memory, zone.name, visit.outsideSince, actions);
      return;
    }
  }
  if (!track.confirmed || !inside) return;
  if (visit.zoneKey === undefined) {
    visit.zoneKey = `zone:${zone.name}:${track.id}:${visit.visit}`;
    open(state, actions, visit.zoneKey, {
      kind: "zone",
      zone: zone.name,
      startedAt: visit.enteredAt,
      ...about,
    });
  }
  const loiterMs = zone.loiterSeconds === undefined ? undefined : zone.loiterSeconds * 1000;
  if (
    loiterMs !== undefined && !memory.loitered.has(zone.name) && now - visit.enteredAt >= loiterMs
  ) {
    memory.loitered.add(zone.name);
    visit.loiterKey = `loitering:${zone.name}:${track.id}:${visit.visit}`;
    open(state, actions, visit.loiterKey, {
      kind: "loitering",
      zone: zone.name,
      startedAt: visit.enteredAt,
      ...about,
    });
  }
}

export function leaveZone(
  state: EventState,
  memory: TrackMemory,
  zoneName: string,
  endedAt: number,
  actions: EventAction[],
): void {
  const visit = memory.visits.get(zoneName);
  if (!visit) return;
  for (const key of [visit.zoneKey, visit.loiterKey]) {
    if (key !== undefined) close(state, actions, key, endedAt);
  }
  memory.visits.delete(zoneName);
}

/**
 * The `line_cross` rule: the foot point's path crosses a line segment; an instant event (open and
 * close together) with a direction, once per track per line per direction. The crossing is held
 * in the track's memory; one of a track not yet confirmed is reported on confirmation. Key
 * `line:<line>:<dir>:<track>`.
 */
export function crossLine(
  memory: TrackMemory,
  line: CrossingLine,
  trackId: string,
  foot: Point,
  now: number,
): void {
  const side = Math.sign(sideOfLine(line.a, line.b, foot));
  // A foot point exactly on the line keeps the previous side: the crossing is seen on the next
  // frame, once it is clearly on the other side.
  if (side === 0) return;
  const before = memory.sides.get(line.name);
  memory.sides.set(line.name, { side, point: foot });
  if (!before || before.side === side) return;
  // Changing side is not enough: the path must pass through the segment, not around its ends.
  if (!segmentsIntersect(before.point, foot, line.a, line.b)) return;
  const direction: CrossDirection = before.side < 0 ? "left_to_right" : "right_to_left";
  const key = `line:${line.name}:${direction}:${trackId}`;
  if (memory.crossed.has(key)) return;
  memory.crossed.add(key);
  memory.pending.push({ key, line: line.name, direction, at: now });
}

export function open(
  state: EventState,
  actions: EventAction[],
  key: string,
  event: EventRecord,
): void {
  const entry: OpenEntry = { best: event.score };
  if (event.trackId !== undefined) {
    entry.trackId = event.trackId;
    state.tracks.get(event.trackId)?.keys.add(key);
  }
  state.open.set(key, entry);
  actions.push({
    type: "open",
    key,
    event: event.box ? { ...event, box: [...event.box] } : { ...event },
  });
}

export function close(
  state: EventState,
  actions: EventAction[],
  key: string,
  endedAt: number,
): void {
  if (!state.open.has(key)) return;
  const entry = state.open.get(key)!;
  state.open.delete(key);
  if (entry.trackId !== undefined) state.tracks.get(entry.trackId)?.keys.delete(key);
  actions.push({ type: "close", key, endedAt });
}
