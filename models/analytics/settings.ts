/**
 * Analytics settings (the body of `PUT /api/cameras/{id}/analytics`): their types, defaults, and
 * how a validated request becomes complete settings for one box. The shapes and the checks that
 * need no knowledge of the box live in settings_schema.ts (zod); here the detector and labels are
 * checked against the models this box has, and defaults are filled in.
 *
 * @module
 */
import type { z } from "zod";
import { ValidationError } from "../errors.ts";
import { parseOrThrow, validationError } from "../validation.ts";
import {
  AnalyticsSettingsInput,
  type AnalyticsSettingsRequest,
  type AnalyticsSettingsSchema,
  type CrossingLineSchema,
  EVENT_KINDS,
  type EventRulesSchema,
  type MaskSchema,
  type WebhookSchema,
  type ZoneSchema,
} from "./settings_schema.ts";

/** One of {@link EVENT_KINDS}. */
export type EventKind = typeof EVENT_KINDS[number];
/** A named area of interest. */
export type Zone = z.output<typeof ZoneSchema>;
/** An area whose detections are ignored. */
export type Mask = z.output<typeof MaskSchema>;
/** A tripwire: a track's foot point crossing the segment `a`–`b` is a `line_cross` event. */
export type CrossingLine = z.output<typeof CrossingLineSchema>;
/** How tracks become events, and how the motion gate decides to run the detector. */
export type EventRules = z.output<typeof EventRulesSchema>;
/** Where to POST events. */
export type WebhookSettings = z.output<typeof WebhookSchema>;
/** Everything analytics needs for one camera, after validation and defaults. */
export type AnalyticsSettings = z.output<typeof AnalyticsSettingsSchema>;

/** Labels known to the detectors: one list for all models, or one list per model name. */
export type KnownLabels = readonly string[] | Readonly<Record<string, readonly string[]>>;

/** What {@link resolveAnalyticsSettings} checks names against. */
export interface KnownNames {
  /** Detector models that can be loaded. */
  models: readonly string[];
  labels: KnownLabels;
}

/**
 * The classes analysed when the settings name none: things a security camera watches for. Labels
 * the chosen model does not know are left out; if it knows none of them (a custom model), every
 * label it has is analysed.
 */
export const DEFAULT_CLASSES: readonly string[] = [
  "person",
  "car",
  "bicycle",
  "motorcycle",
  "bus",
  "truck",
  "dog",
  "cat",
];

/** The settings an empty body `{}` yields with a COCO model. */
export const DEFAULT_ANALYTICS_SETTINGS: Readonly<AnalyticsSettings> = deepFreeze({
  detector: "centernet",
  fps: 5,
  classes: [...DEFAULT_CLASSES],
  minScore: 0.4,
  zones: [],
  masks: [],
  lines: [],
  rules: {
    confirmFrames: 3,
    leaveAfterMs: 1500,
    motionThreshold: 15,
    minMotion: 0.002,
    keepAliveFps: 1,
    idleKeepAliveFps: 0.2,
    motionCrops: true,
  },
});

/** Freezes a value and everything inside it, so a shared default cannot be changed by a user. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates analytics settings from untrusted JSON (a request body, or stored settings restored
 * after a restart) and fills in defaults.
 *
 * @param value the parsed JSON
 * @param known detector models that exist and the labels they know
 * @returns complete, valid settings
 * @throws {ValidationError} 422 naming the bad or unknown fields by their dotted paths,
 *   e.g. "zones.0.polygon is self-intersecting"
 * @example
 * ```ts
 * const settings = parseAnalyticsSettings(
 *   { fps: 10, zones: [{ name: "door", polygon: [[0, 0], [0.5, 0], [0.5, 1]] }] },
 *   { models: ["centernet"], labels: ["person", "car"] },
 * );
 * settings.classes; // ["person", "car"] (the defaults this model knows)
 * ```
 */
export function parseAnalyticsSettings(value: unknown, known: KnownNames): AnalyticsSettings {
  const prefix = "analytics settings: ";
  return resolveAnalyticsSettings(parseOrThrow(AnalyticsSettingsInput, value, { prefix }), known, {
    prefix,
  });
}

/**
 * Completes a request that passed {@linkcode AnalyticsSettingsInput}: checks the detector and
 * every label against this box's models, and fills in defaults.
 *
 * @param request the validated request
 * @param known detector models that exist and the labels they know
 * @param options `prefix` for messages
 * @returns complete settings
 * @throws {ValidationError} 422 naming an unknown detector or label by its path
 */
export function resolveAnalyticsSettings(
  request: AnalyticsSettingsRequest,
  known: KnownNames,
  options: { prefix?: string } = {},
): AnalyticsSettings {
  const fail = (path: (string | number)[], message: string): never => {
    throw validationError([{ code: "custom", path, message, input: undefined }], request, options);
  };
  const detector = request.detector ?? DEFAULT_ANALYTICS_SETTINGS.detector;
  if (!known.models.includes(detector)) {
    fail(["detector"], `must be a known detector model${listed(known.models)}`);
  }
  const labels = labelsOf(known.labels, detector, options.prefix);
  const checkLabels = (raw: string[], path: (string | number)[], choices: readonly string[]) => {
    raw.forEach((label, i) => {
      if (!choices.includes(label)) {
        const what = path.length === 1 ? "a label the detector knows" : "an analysed class";
        fail([...path, i], `must be ${what}${listed(choices)}: current value is "${label}"`);
      }
    });
    return [...new Set(raw)];
  };
  const classes = request.classes === undefined
    ? defaultClasses(labels)
    : checkLabels(request.classes, ["classes"], labels);
  const zones = (request.zones ?? []).map((zone, i): Zone => {
    const out: Zone = { name: zone.name, polygon: zone.polygon };
    if (zone.classes) out.classes = checkLabels(zone.classes, ["zones", i, "classes"], classes);
    if (zone.loiterSeconds !== undefined) out.loiterSeconds = zone.loiterSeconds;
    return out;
  });
  const lines = (request.lines ?? []).map((line, i): CrossingLine => {
    const out: CrossingLine = { name: line.name, a: line.a, b: line.b };
    if (line.classes) out.classes = checkLabels(line.classes, ["lines", i, "classes"], classes);
    return out;
  });
  const settings: AnalyticsSettings = {
    detector,
    fps: request.fps ?? DEFAULT_ANALYTICS_SETTINGS.fps,
    classes,
    minScore: request.minScore ?? DEFAULT_ANALYTICS_SETTINGS.minScore,
    zones,
    masks: (request.masks ?? []).map((mask) => ({ polygon: mask.polygon })),
    lines,
    // The default keepAliveFps (1) never exceeds fps, whose least value is 1; the idle rate's
    // default follows a keepAliveFps set lower.
    rules: idleNoFaster({
      ...DEFAULT_ANALYTICS_SETTINGS.rules,
      ...definedOnly(request.rules ?? {}),
    }),
  };
  if (request.webhook) {
    settings.webhook = {
      url: new URL(request.webhook.url).href,
      events: [...new Set(request.webhook.events ?? EVENT_KINDS)],
    };
  }
  return settings;
}

/** The idle keep-alive never runs faster than the keep-alive (a lower keepAliveFps lowers it). */
function idleNoFaster(rules: EventRules): EventRules {
  return { ...rules, idleKeepAliveFps: Math.min(rules.idleKeepAliveFps, rules.keepAliveFps) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function listed(choices: readonly string[]): string {
  return choices.length <= 12
    ? ` (${choices.join(", ")})`
    : ` (${choices.slice(0, 12).join(", ")}, ...)`;
}

function labelsOf(known: KnownLabels, detector: string, prefix = ""): readonly string[] {
  if (isLabelList(known)) return known;
  const labels = known[detector];
  if (labels === undefined) {
    throw new ValidationError(`${prefix}detector "${detector}" has no labels`, "detector");
  }
  return labels;
}

function isLabelList(known: KnownLabels): known is readonly string[] {
  return Array.isArray(known);
}

function defaultClasses(labels: readonly string[]): string[] {
  const wanted = DEFAULT_CLASSES.filter((label) => labels.includes(label));
  return wanted.length > 0 ? wanted : [...labels];
}
