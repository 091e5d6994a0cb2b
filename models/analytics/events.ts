/**
 * Significant-event logic as a pure reducer: tracker output, zones, lines and time in; `open`,
 * `update-best` and `close` actions out, which the event recorder turns into rows and snapshots.
 * One event per track per rule (object, zone, loitering, line_cross; offline from the caller);
 * the zone and line rules are in event_rules.ts. Only tracks seen in this frame move: a coasting
 * track keeps its zones.
 *
 * @module
 */
import { boxFootPoint, normalizePoint } from "./geometry.ts";
import type { AnalyticsSettings } from "./settings.ts";
import { cares, close, crossLine, leaveZone, open, visitZone } from "./event_rules.ts";
import type { EventAction, EventConfig, EventState, TrackMemory } from "./event_types.ts";
import type { Track } from "./tracker.ts";

/** One step of input. */
export type EventInput =
  | {
    /** A detector run: the tracker's output for it. */
    type: "frame";
    now: number;
    /** Source frame size, to normalize boxes for zones and lines. */
    width: number;
    height: number;
    tracks: readonly Track[];
    ended: readonly Track[];
  }
  /**
   * The stream went down. Tracks are not ended here: feed `tracker.expire(now)` (or
   * `tracker.clear()`) as a frame's `ended` so their events close at their last sighting.
   */
  | { type: "offline"; now: number }
  /** The stream is back. */
  | { type: "online"; now: number }
  /** New zones or lines: events of changed or removed ones close; object events go on. */
  | { type: "configure"; now: number; config: EventConfig }
  /**
   * Detach: close everything (track events at their last sighting, `offline` at `now`) and
   * forget every track. Start a new tracker too (`tracker.clear()`): an old track id seen again
   * would open a second `object` event under the key of the closed one.
   */
  | { type: "close-all"; now: number };

/**
 * Picks the event-logic configuration out of analytics settings.
 *
 * @param settings validated analytics settings
 * @returns zones, lines and the leave debounce
 * @example
 * ```ts
 * const state = initialEventState(eventConfig(settings));
 * ```
 */
export function eventConfig(settings: AnalyticsSettings): EventConfig {
  return {
    zones: settings.zones,
    lines: settings.lines,
    leaveAfterMs: settings.rules.leaveAfterMs,
  };
}

/**
 * The state before any input.
 *
 * @param config zones, lines and leave debounce
 * @returns an empty state
 * @example
 * ```ts
 * let state = initialEventState({ zones: [], lines: [], leaveAfterMs: 1500 });
 * ```
 */
export function initialEventState(config: EventConfig): EventState {
  return { config, open: new Map(), tracks: new Map() };
}

/**
 * Applies one input. Pure: the given state is not changed. An `object` event opens when a track
 * is confirmed (started at its first sighting) and closes when the track ends (at its last
 * sighting), key `object:<track>`; `offline` opens on the `offline` input and closes on `online`,
 * key `offline:<time>`. Zones, loitering and lines: event_rules.ts.
 *
 * @param state the state after the previous input
 * @param input a detector frame, a camera status change, a new configuration, or close-all
 * @returns the next state and the actions to carry out, in order
 * @example
 * ```ts
 * const { tracks, ended } = tracker.update(detections, now);
 * const step = reduceEvents(state, { type: "frame", now, width, height, tracks, ended });
 * state = step.state;
 * for (const action of step.actions) await apply(action);
 * ```
 */
export function reduceEvents(
  state: EventState,
  input: EventInput,
): { state: EventState; actions: EventAction[] } {
  const next = structuredClone(state);
  const actions: EventAction[] = [];
  switch (input.type) {
    case "frame":
      for (const track of input.tracks) {
        if (track.misses === 0) observe(next, track, input.now, input.width, input.height, actions);
      }
      for (const track of input.ended) endTrack(next, track.id, track.lastSeen, actions);
      break;
    case "offline":
      if (next.offlineKey === undefined) {
        next.offlineKey = `offline:${input.now}`;
        open(next, actions, next.offlineKey, { kind: "offline", startedAt: input.now, score: 0 });
      }
      break;
    case "online":
      if (next.offlineKey !== undefined) close(next, actions, next.offlineKey, input.now);
      delete next.offlineKey;
      break;
    case "configure":
      configure(next, input.config, input.now, actions);
      break;
    case "close-all":
      for (const [trackId, memory] of [...next.tracks]) {
        endTrack(next, trackId, Math.min(memory.lastSeen, input.now), actions);
      }
      if (next.offlineKey !== undefined) close(next, actions, next.offlineKey, input.now);
      delete next.offlineKey;
      break;
  }
  return { state: next, actions };
}

/** The reducer with its state kept inside, for an actor that owns one camera's events. */
export interface EventEngine {
  /** Feeds one detector run. */
  frame(
    input: {
      now: number;
      width: number;
      height: number;
      tracks: readonly Track[];
      ended: readonly Track[];
    },
  ): EventAction[];
  /** The camera's stream went down. */
  offline(now: number): EventAction[];
  /** The camera's stream is back. */
  online(now: number): EventAction[];
  /** New zones/lines while attached. */
  configure(config: EventConfig, now: number): EventAction[];
  /** Detach: closes every open event. */
  closeAll(now: number): EventAction[];
  /** Keys of the events open now. */
  openKeys(): string[];
  /** Whether a rule waits on the next run (see {@link eventsWaitOnRun}). */
  waitsOnRun(): boolean;
}

/**
 * Whether a rule decides something only at a later detector run: a zone leave being confirmed
 * (the foot point outside, `leaveAfterMs` not yet over), a loitering timer still running, or a
 * crossing waiting for its track's confirmation. A settled scene (settled_scene.ts) must not slow
 * the keep-alive while one does, or the event would close or open up to an idle period late.
 *
 * @param state the reducer's state
 * @returns true while some rule waits on a run
 * @example
 * ```ts
 * eventsWaitOnRun(initialEventState({ zones: [], lines: [], leaveAfterMs: 1500 })); // false
 * ```
 */
export function eventsWaitOnRun(state: EventState): boolean {
  const loiters = new Set(
    state.config.zones.filter((z) => z.loiterSeconds !== undefined).map((z) => z.name),
  );
  for (const memory of state.tracks.values()) {
    if (memory.pending.length > 0) return true;
    for (const [zone, visit] of memory.visits) {
      if (visit.outsideSince !== undefined) return true;
      if (loiters.has(zone) && !memory.loitered.has(zone)) return true;
    }
  }
  return false;
}

/**
 * Wraps {@link reduceEvents} with its state.
 *
 * @param config zones, lines and leave debounce
 * @returns the engine
 * @example
 * ```ts
 * const events = createEventEngine(eventConfig(settings));
 * const actions = events.frame({ now, width: 640, height: 360, ...tracker.update(dets, now) });
 * // on detach:
 * events.closeAll(Date.now());
 * ```
 */
export function createEventEngine(config: EventConfig): EventEngine {
  let state = initialEventState(config);
  const step = (input: EventInput): EventAction[] => {
    const result = reduceEvents(state, input);
    state = result.state;
    return result.actions;
  };
  return {
    frame: (input) => step({ type: "frame", ...input }),
    offline: (now) => step({ type: "offline", now }),
    online: (now) => step({ type: "online", now }),
    configure: (next, now) => step({ type: "configure", now, config: next }),
    closeAll: (now) => step({ type: "close-all", now }),
    openKeys: () => [...state.open.keys()],
    waitsOnRun: () => eventsWaitOnRun(state),
  };
}

function memoryOf(state: EventState, trackId: string, now: number): TrackMemory {
  let memory = state.tracks.get(trackId);
  if (!memory) {
    memory = {
      lastSeen: now,
      objectOpened: false,
      visits: new Map(),
      visitCount: new Map(),
      loitered: new Set(),
      sides: new Map(),
      crossed: new Set(),
      pending: [],
      keys: new Set(),
    };
    state.tracks.set(trackId, memory);
  }
  return memory;
}

function observe(
  state: EventState,
  track: Track,
  now: number,
  width: number,
  height: number,
  actions: EventAction[],
): void {
  const memory = memoryOf(state, track.id, now);
  memory.lastSeen = track.lastSeen;
  const foot = normalizePoint(boxFootPoint(track.box), width, height);
  const about = { label: track.label, trackId: track.id, score: track.score, box: track.box };

  // Better snapshots first, so an event opened in this frame does not also get an update.
  for (const key of memory.keys) {
    const entry = state.open.get(key);
    if (entry && track.score > entry.best) {
      entry.best = track.score;
      actions.push({ type: "update-best", key, score: track.score, box: [...track.box] });
    }
  }

  if (track.confirmed && !memory.objectOpened) {
    memory.objectOpened = true;
    open(state, actions, `object:${track.id}`, {
      kind: "object",
      startedAt: track.firstSeen,
      ...about,
    });
  }

  for (const zone of state.config.zones) {
    if (cares(zone.classes, track.label)) {
      visitZone(state, memory, zone, track, foot, now, about, actions);
    }
  }
  for (const line of state.config.lines) {
    if (cares(line.classes, track.label)) crossLine(memory, line, track.id, foot, now);
  }
  if (track.confirmed) {
    for (const cross of memory.pending) {
      open(state, actions, cross.key, {
        kind: "line_cross",
        zone: cross.line,
        direction: cross.direction,
        startedAt: cross.at,
        ...about,
      });
      close(state, actions, cross.key, cross.at);
    }
    memory.pending = [];
  }
}

function endTrack(
  state: EventState,
  trackId: string,
  lastSeen: number,
  actions: EventAction[],
): void {
  const memory = state.tracks.get(trackId);
  if (!memory) return;
  for (const [zoneName, visit] of [...memory.visits]) {
    leaveZone(state, memory, zoneName, visit.outsideSince ?? lastSeen, actions);
  }
  for (const key of [...memory.keys]) close(state, actions, key, lastSeen);
  state.tracks.delete(trackId);
}

function configure(
  state: EventState,
  config: EventConfig,
  now: number,
  actions: EventAction[],
): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const keptZones = new Set(
    config.zones.filter((zone) =>
      state.config.zones.some((old) => old.name === zone.name && same(old, zone))
    ).map((zone) => zone.name),
  );
  const keptLines = new Set(
    config.lines.filter((line) =>
      state.config.lines.some((old) => old.name === line.name && same(old, line))
    ).map((line) => line.name),
  );
  for (const memory of state.tracks.values()) {
    for (const zoneName of [...memory.visits.keys()]) {
      if (keptZones.has(zoneName)) continue;
      leaveZone(state, memory, zoneName, now, actions);
      // A changed zone is a new rule: its loitering may fire again.
      memory.loitered.delete(zoneName);
    }
    for (const lineName of [...memory.sides.keys()]) {
      if (!keptLines.has(lineName)) memory.sides.delete(lineName);
    }
    memory.pending = memory.pending.filter((cross) => keptLines.has(cross.line));
  }
  state.config = config;
}
