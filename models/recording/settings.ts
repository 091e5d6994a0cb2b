/**
 * Recording settings (the body of `PUT /api/cameras/:id/recording`) validated from untrusted
 * JSON: `mode` required, the rest defaulted from {@linkcode DEFAULT_RECORDING_SETTINGS}; a bad
 * or unknown field is a 422 naming its path. `offline` events are left out of events mode by
 * default (no picture to keep); `labels: []` means any label, and only then does a kind without a
 * label match. Each field's meaning: README "Recording and clips".
 *
 * @module
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";
import type { EventKind } from "../analytics/settings.ts";
import { EVENT_KINDS } from "../analytics/settings_schema.ts";
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

function bounded(rule: { min: number; max: number }, integer = false) {
  const message = `must be ${integer ? "an integer" : "a number"} from ${rule.min} to ${rule.max}`;
  const number = z.number({ error: message });
  return (integer ? number.int({ error: message }) : number)
    .min(rule.min, { error: message })
    .max(rule.max, { error: message });
}

const Mode = z.enum(RECORDING_MODES, {
  error: `must be one of ${RECORDING_MODES.join(", ")}`,
}).meta({
  description: "`continuous`: everything; `events`: the segments around matching events",
});
const Kinds = z.array(z.enum(EVENT_KINDS, { error: `must be one of ${EVENT_KINDS.join(", ")}` }))
  .min(1, { error: "must hold at least one kind" })
  .max(EVENT_KINDS.length)
  .meta({ description: "Event kinds that keep video; repeated ones are dropped" });
const Labels = z.array(
  z.string({ error: "must be a label" }).regex(
    LABEL_PATTERN,
    "must be 1 to 64 printable characters",
  ),
).max(RECORDING_LIMITS.labels).meta({ description: "Labels that keep video; empty: any label" });

/** What `PUT /api/cameras/{id}/recording` accepts: `mode`, every other field optional. */
export const RecordingSettingsInput = z.strictObject({
  mode: Mode,
  preRollS: bounded(RECORDING_LIMITS.preRollS).optional().meta({
    description:
      `Seconds kept before an event opens (default ${DEFAULT_RECORDING_SETTINGS.preRollS})`,
  }),
  postRollS: bounded(RECORDING_LIMITS.postRollS).optional().meta({
    description:
      `Seconds kept after an event closes (default ${DEFAULT_RECORDING_SETTINGS.postRollS})`,
  }),
  events: z.strictObject({ kinds: Kinds.optional(), labels: Labels.optional() }).optional().meta({
    description: "Events mode: which events keep video (default: object, zone, loitering and " +
      "line_cross events of any label)",
  }),
  retainDays: bounded(RECORDING_LIMITS.retainDays, true).optional().meta({
    description:
      `Segments older than this are deleted (default ${DEFAULT_RECORDING_SETTINGS.retainDays})`,
  }),
}).meta({ id: "RecordingSettingsInput" });

/** Recording settings as the API answers them: complete. */
export const RecordingSettingsSchema = z.object({
  mode: Mode,
  preRollS: z.number(),
  postRollS: z.number(),
  events: z.object({ kinds: z.array(z.enum(EVENT_KINDS)), labels: z.array(z.string()) }),
  retainDays: z.number().int(),
}).meta({ id: "RecordingSettings" });

/**
 * Completes validated settings with the defaults.
 *
 * @param request what passed {@linkcode RecordingSettingsInput}
 * @returns complete settings
 */
export function resolveRecordingSettings(
  request: z.output<typeof RecordingSettingsInput>,
): RecordingSettings {
  const d = DEFAULT_RECORDING_SETTINGS;
  return {
    mode: request.mode,
    preRollS: request.preRollS ?? d.preRollS,
    postRollS: request.postRollS ?? d.postRollS,
    events: {
      kinds: [...new Set(request.events?.kinds ?? d.events.kinds)],
      labels: [...new Set(request.events?.labels ?? [])],
    },
    retainDays: request.retainDays ?? d.retainDays,
  };
}

/**
 * Validates recording settings (a body, or settings stored by an earlier version).
 *
 * @param value the untrusted value
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
  return resolveRecordingSettings(
    parseOrThrow(RecordingSettingsInput, value, { prefix: "recording settings: " }),
  );
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
