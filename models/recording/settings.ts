/**
 * Recording settings (the body of `PUT /api/cameras/:id/recording`) and their validation from
 * untrusted JSON: every field but `mode` is optional and falls back to
 * {@linkcode DEFAULT_RECORDING_SETTINGS}; a bad or unknown field is a 422 naming its path.
 *
 * Decisions (as a Frigate user would expect):
 * - `events` mode keeps the segments around the events of the chosen kinds and labels, from
 *   `preRollS` before an event opens to `postRollS` after it closes; `offline` events are left
 *   out by default (there is no picture to keep while a camera is offline).
 * - `labels: []` (the default) means any label; kinds without a label (`offline`) only match when
 *   no label filter is given.
 * - `retainDays` (default 7) applies to this camera's segments; the disk guard may delete sooner.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { EVENT_KINDS, type EventKind } from "../analytics/settings.ts";
import { LABEL_PATTERN } from "../detectors/labels.ts";

/** What gets recorded. */
export const RECORDING_MODES = ["continuous", "events"] as const;
/** One of {@linkcode RECORDING_MODES}. */
export type RecordingMode = typeof RECORDING_MODES[number];

/** A camera's recording settings, validated, defaults filled. */
export interface RecordingSettings {
  mode: RecordingMode;
  /** Seconds kept before an event opens (events mode; also the `{event}` clip's lead). */
  preRollS: number;
  /** Seconds kept after an event closes. */
  postRollS: number;
  /** Which events keep video in events mode. */
  events: { kinds: EventKind[]; labels: string[] };
  /** Segments older than this many days are deleted. */
  retainDays: number;
}

/** Defaults of every optional field. */
export const DEFAULT_RECORDING_SETTINGS: Readonly<Omit<RecordingSettings, "mode">> = {
  preRollS: 5,
  postRollS: 5,
  events: { kinds: ["object", "zone", "loitering", "line_cross"], labels: [] },
  retainDays: 7,
};

/** Bounds of the numeric fields. */
export const RECORDING_LIMITS = {
  preRollS: { min: 0, max: 60 },
  postRollS: { min: 0, max: 300 },
  retainDays: { min: 1, max: 3650 },
  labels: 64,
} as const;

/**
 * Validates recording settings.
 *
 * @param value the untrusted body (or stored settings)
 * @returns the settings with defaults filled
 * @throws {ValidationError} 422 naming the first bad field
 * @example
 * ```ts
 * parseRecordingSettings({ mode: "events", preRollS: 10, events: { labels: ["person"] } });
 * // { mode: "events", preRollS: 10, postRollS: 5, events: { kinds: [...], labels: ["person"] },
 * //   retainDays: 7 }
 * ```
 */
export function parseRecordingSettings(value: unknown): RecordingSettings {
  const body = fields(value, "", ["mode", "preRollS", "postRollS", "events", "retainDays"]);
  const mode = RECORDING_MODES.find((m) => m === body.mode);
  if (mode === undefined) {
    throw invalid("mode", `must be one of ${RECORDING_MODES.join(", ")}`, body.mode);
  }
  const d = DEFAULT_RECORDING_SETTINGS;
  const events = body.events === undefined
    ? { kinds: [...d.events.kinds], labels: [] }
    : readEvents(body.events);
  return {
    mode,
    preRollS: number(body.preRollS, "preRollS", d.preRollS, RECORDING_LIMITS.preRollS, false),
    postRollS: number(body.postRollS, "postRollS", d.postRollS, RECORDING_LIMITS.postRollS, false),
    events,
    retainDays: number(
      body.retainDays,
      "retainDays",
      d.retainDays,
      RECORDING_LIMITS.retainDays,
      true,
    ),
  };
}

/**
 * Whether an event of this kind and label keeps video under these settings.
 *
 * @param settings the camera's recording settings
 * @param event kind and label of the event
 * @returns true when it matches the configured kinds and labels
 * @example
 * ```ts
 * eventTriggers(settings, { kind: "object", label: "person" }); // true with the defaults
 * ```
 */
export function eventTriggers(
  settings: Pick<RecordingSettings, "events">,
  event: { kind: string; label: string | null },
): boolean {
  const { kinds, labels } = settings.events;
  if (!kinds.some((k) => k === event.kind)) return false;
  if (labels.length === 0) return true;
  return event.label !== null && labels.includes(event.label);
}

function readEvents(value: unknown): RecordingSettings["events"] {
  const body = fields(value, "events", ["kinds", "labels"]);
  const kinds = body.kinds === undefined
    ? [...DEFAULT_RECORDING_SETTINGS.events.kinds]
    : list(body.kinds, "events.kinds", 1, EVENT_KINDS.length).map((raw, i) => {
      const kind = EVENT_KINDS.find((k) => k === raw);
      if (kind === undefined) {
        throw invalid(`events.kinds.${i}`, `must be one of ${EVENT_KINDS.join(", ")}`, raw);
      }
      return kind;
    });
  const labels = body.labels === undefined
    ? []
    : list(body.labels, "events.labels", 0, RECORDING_LIMITS.labels).map((raw, i) => {
      if (typeof raw !== "string" || !LABEL_PATTERN.test(raw)) {
        throw invalid(`events.labels.${i}`, "must be 1 to 64 printable characters", raw);
      }
      return raw;
    });
  return { kinds: [...new Set(kinds)], labels: [...new Set(labels)] };
}

function fields(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(path, "must be a JSON object", value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const at = path === "" ? key : `${path}.${key}`;
      throw new ValidationError(
        `recording settings: ${at} is not a known field (known: ${known.join(", ")})`,
        at,
      );
    }
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, path: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    throw invalid(path, `must be an array of ${min} to ${max} items`, value);
  }
  return value;
}

function number(
  value: unknown,
  path: string,
  fallback: number,
  range: { min: number; max: number },
  integer: boolean,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < range.min ||
    value > range.max || (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? "an integer" : "a number";
    throw invalid(path, `must be ${kind} from ${range.min} to ${range.max}`, value);
  }
  return value;
}

function invalid(path: string, problem: string, value: unknown): ValidationError {
  const shown = value === undefined ? "missing" : (JSON.stringify(value) ?? String(value));
  return new ValidationError(
    `recording settings: ${path || "the body"} ${problem}: current value is ${
      shown.length > 60 ? `${shown.slice(0, 57)}...` : shown
    }`,
    path,
  );
}

/**
 * What is stored with the camera (`desired.recording`): the last settings, and whether recording
 * is on. The settings stay after a stop, so retention keeps applying the camera's `retainDays`
 * and pre/post roll to what it recorded.
 */
export interface StoredRecording {
  active: boolean;
  settings: RecordingSettings;
}

/**
 * Reads `desired.recording` back.
 *
 * @param value the stored JSON
 * @returns the stored recording, or null when absent or no longer valid
 * @example
 * ```ts
 * readStoredRecording({ active: true, settings: { mode: "continuous" } })?.active; // true
 * ```
 */
export function readStoredRecording(value: unknown): StoredRecording | null {
  if (typeof value !== "object" || value === null || !("settings" in value)) return null;
  try {
    const active = "active" in value && value.active === true;
    return { active, settings: parseRecordingSettings(value.settings) };
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}
