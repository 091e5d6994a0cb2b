/**
 * The data of the event reducer ({@link ./events.ts}) and its rule steps
 * ({@link ./event_rules.ts}): the actions it emits, its configuration, and what it remembers
 * between steps.
 *
 * @module
 */
import type { Box } from "../detectors/types.ts";
import type { Point } from "./geometry.ts";
import type { CrossingLine, EventKind, Zone } from "./settings.ts";

/** Direction of a line crossing, as seen on screen facing from the line's `a` to its `b`. */
export type CrossDirection = "left_to_right" | "right_to_left";

/** The content of a new event. */
export interface EventRecord {
  kind: EventKind;
  /** The object's label; absent for `offline`. */
  label?: string;
  /** Absent for `offline`. */
  trackId?: string;
  /** The zone (`zone`, `loitering`) or line (`line_cross`) name. */
  zone?: string;
  /** For `line_cross`. */
  direction?: CrossDirection;
  /** When it started, ms (may be before the action: the object was seen before confirmation). */
  startedAt: number;
  /** The score at the frame of this action (the snapshot frame); 0 for `offline`. */
  score: number;
  /** The box at the frame of this action, source pixels; absent for `offline`. */
  box?: Box;
  /** Kind-specific extras stored with the event (`onvif`: topic, source and data items). */
  details?: Record<string, unknown>;
}

/** What the caller must do. `key` identifies the event across actions. */
export type EventAction =
  | { type: "open"; key: string; event: EventRecord }
  | { type: "update-best"; key: string; score: number; box: Box }
  | { type: "close"; key: string; endedAt: number };

/** The part of the settings the event logic uses. */
export interface EventConfig {
  zones: readonly Zone[];
  lines: readonly CrossingLine[];
  /** Debounce for zone leaves, ms (settings `rules.leaveAfterMs`). */
  leaveAfterMs: number;
}

/** Everything the reducer remembers; plain data (Maps and Sets), cloned on every step. */
export interface EventState {
  config: EventConfig;
  open: Map<string, OpenEntry>;
  tracks: Map<string, TrackMemory>;
  offlineKey?: string;
}

/** An open event: its best score so far, and its track. */
export interface OpenEntry {
  best: number;
  trackId?: string;
}

/** A track's stay in one zone. */
export interface ZoneVisit {
  visit: number;
  enteredAt: number;
  /** Set while the foot point is outside, until the leave is confirmed. */
  outsideSince?: number;
  zoneKey?: string;
  loiterKey?: string;
}

/** A crossing of a track not confirmed yet, reported on confirmation. */
export interface PendingCross {
  key: string;
  line: string;
  direction: CrossDirection;
  at: number;
}

/** What the reducer remembers of one track. */
export interface TrackMemory {
  lastSeen: number;
  /** The object event was opened (it never opens twice, even after it closed). */
  objectOpened: boolean;
  visits: Map<string, ZoneVisit>;
  visitCount: Map<string, number>;
  loitered: Set<string>;
  /** Per line: the last side (±1) the foot point was on, and where. */
  sides: Map<string, { side: number; point: Point }>;
  /** `line:dir:track` keys already reported or pending. */
  crossed: Set<string>;
  pending: PendingCross[];
  /** Keys of this track's open events. */
  keys: Set<string>;
}
