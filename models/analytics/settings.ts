/**
 * Analytics settings (the body of `PUT /api/cameras/:id/analytics`) and their validation from
 * untrusted JSON. Every field is optional in the input and falls back to
 * {@link DEFAULT_ANALYTICS_SETTINGS}; a bad or unknown field is a 422 naming its dotted path.
 *
 * Coordinates of zones, masks and lines are normalized to 0..1 of the frame's width and height
 * (x right, y down), so settings survive a change of the camera's resolution.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { type Point, selfIntersection, sideOfLine } from "./geometry.ts";
import {
  fieldPath,
  type Fields,
  invalidField,
  type NumberRule,
  readArray,
  readChoice,
  readNumber,
  readObject,
  readString,
} from "./json_fields.ts";

/**
 * Kinds of significant events. `object`: a confirmed track, open while it is tracked. `zone`: a
 * track's foot point inside a zone, opened on enter and closed on leave. `loitering`: inside a
 * zone longer than its `loiterSeconds`. `line_cross`: an instant event with a direction.
 * `offline`: the camera's stream is down, opened when it goes offline and closed when it is back.
 */
export const EVENT_KINDS = ["object", "zone", "loitering", "line_cross", "offline"] as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = typeof EVENT_KINDS[number];

/** A named area of interest. */
export interface Zone {
  /** Unique among zones and lines; letters, digits, space, `_`, `-`, `.` (1–64). */
  name: string;
  /** 3–64 vertices, normalized, forming a simple (not self-intersecting) polygon. */
  polygon: Point[];
  /** Classes this zone reports; absent → every analysed class. */
  classes?: string[];
  /** Open a `loitering` event when a track stays inside this long; absent → never. */
  loiterSeconds?: number;
}

/** An area whose detections are ignored (a road behind the fence, a TV, a flag in the wind). */
export interface Mask {
  /** 3–64 vertices, normalized, forming a simple polygon. */
  polygon: Point[];
}

/** A tripwire: a track's foot point crossing the segment `a`–`b` is a `line_cross` event. */
export interface CrossingLine {
  /** Unique among zones and lines. */
  name: string;
  /** Start, normalized. Directions are named facing from `a` to `b`. */
  a: Point;
  /** End, normalized. */
  b: Point;
  /** Classes this line reports; absent → every analysed class. */
  classes?: string[];
}

/** How tracks become events, and how the motion gate decides to run the detector. */
export interface EventRules {
  /** Detector hits before a track is confirmed and its `object` event opens (1–30, default 3). */
  confirmFrames: number;
  /** A track unseen this long has left: its events close (100–60000 ms, default 1500). */
  leaveAfterMs: number;
  /** Per-pixel gray difference (of 255) that counts as change in the motion gate (default 15). */
  motionThreshold: number;
  /**
   * Fraction of the (unmasked) downscaled frame that must change to run the detector (0–1,
   * default 0.002, about 5 cells of 64x36). 0 disables the gate: the detector runs every frame.
   */
  minMotion: number;
  /**
   * The detector runs at least this often without motion (0–fps, default 1), so a still object
   * keeps its track and a scene change the gate misses is still seen. 0 disables keep-alive.
   */
  keepAliveFps: number;
}

/** Where to POST events. Any http(s) host is allowed: the usual target is on the LAN. */
export interface WebhookSettings {
  /** `http:` or `https:` URL without credentials (put a token in the path or query instead). */
  url: string;
  /** Kinds that are posted, on open and on close (default: all). */
  events: EventKind[];
}

/** Everything analytics needs for one camera, after validation and defaults. */
export interface AnalyticsSettings {
  /** Detector model name (default "centernet"). */
  detector: string;
  /** Frames per second analysed (1–30, default 5). */
  fps: number;
  /** Labels kept; everything else the detector finds is dropped before tracking. */
  classes: string[];
  /** Detections scoring below this are dropped (0–1, default 0.4). */
  minScore: number;
  zones: Zone[];
  masks: Mask[];
  lines: CrossingLine[];
  rules: EventRules;
  webhook?: WebhookSettings;
}

/** Labels known to the detectors: one list for all models, or one list per model name. */
export type KnownLabels = readonly string[] | Readonly<Record<string, readonly string[]>>;

/** What {@link parseAnalyticsSettings} checks names against. */
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

const LIMITS = {
  fps: { min: 1, max: 30 },
  minScore: { min: 0, max: 1 },
  coordinate: { min: 0, max: 1 },
  confirmFrames: { min: 1, max: 30, integer: true },
  leaveAfterMs: { min: 100, max: 60_000, integer: true },
  motionThreshold: { min: 1, max: 255, integer: true },
  minMotion: { min: 0, max: 1 },
  loiterSeconds: { min: 1, max: 86_400 },
  zones: 32,
  masks: 32,
  lines: 16,
  vertices: { min: 3, max: 64 },
  url: 2048,
} as const;

const NAME = /^(?=.*[\p{L}\p{N}])[\p{L}\p{N}_.-](?:[\p{L}\p{N} _.-]{0,62}[\p{L}\p{N}_.-])?$/u;
const NAME_EXPECTED = "1-64 letters, digits, spaces, '_', '-' or '.', with a letter or digit, " +
  "not starting or ending with a space";

/**
 * Validates analytics settings from untrusted JSON and fills in defaults.
 *
 * @param value the parsed JSON body (or the stored settings, re-validated on restore)
 * @param known detector models that exist and the labels they know
 * @returns complete, valid settings
 * @throws {ValidationError} 422 naming the first bad or unknown field by its dotted path,
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
  const body = readObject(value, "", [
    "detector",
    "fps",
    "classes",
    "minScore",
    "zones",
    "masks",
    "lines",
    "rules",
    "webhook",
  ]);
  const detector = readChoice(
    body.detector === undefined ? DEFAULT_ANALYTICS_SETTINGS.detector : body.detector,
    "detector",
    known.models,
    "a known detector model",
  );
  const labels = labelsOf(known.labels, detector);
  const fps = body.fps === undefined
    ? DEFAULT_ANALYTICS_SETTINGS.fps
    : readNumber(body.fps, "fps", LIMITS.fps);
  const classes = body.classes === undefined
    ? defaultClasses(labels)
    : readLabels(body.classes, "classes", labels, "a label the detector knows");
  const minScore = body.minScore === undefined
    ? DEFAULT_ANALYTICS_SETTINGS.minScore
    : readNumber(body.minScore, "minScore", LIMITS.minScore);

  const names = new Set<string>();
  const uniqueName = (raw: unknown, path: string): string => {
    const name = readString(raw, path, NAME, NAME_EXPECTED);
    if (names.has(name)) {
      throw invalidField(path, `repeats the name "${name}" of another zone or line`);
    }
    names.add(name);
    return name;
  };

  const zones = body.zones === undefined
    ? []
    : readArray(body.zones, "zones", 0, LIMITS.zones).map((raw, i) =>
      readZone(raw, fieldPath("zones", i), classes, uniqueName)
    );
  const masks = body.masks === undefined
    ? []
    : readArray(body.masks, "masks", 0, LIMITS.masks).map((raw, i) => {
      const path = fieldPath("masks", i);
      const mask = readObject(raw, path, ["polygon"]);
      return { polygon: readPolygon(mask.polygon, fieldPath(path, "polygon")) };
    });
  const lines = body.lines === undefined
    ? []
    : readArray(body.lines, "lines", 0, LIMITS.lines).map((raw, i) =>
      readLine(raw, fieldPath("lines", i), classes, uniqueName)
    );
  const rules = readRules(body.rules, fps);
  const settings: AnalyticsSettings = {
    detector,
    fps,
    classes,
    minScore,
    zones,
    masks,
    lines,
    rules,
  };
  if (body.webhook !== undefined) settings.webhook = readWebhook(body.webhook, "webhook");
  return settings;
}

function labelsOf(known: KnownLabels, detector: string): readonly string[] {
  if (isLabelList(known)) return known;
  const labels = known[detector];
  if (labels === undefined) {
    throw new ValidationError(
      `analytics settings: detector "${detector}" has no labels`,
      "detector",
    );
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

function readLabels(
  value: unknown,
  path: string,
  choices: readonly string[],
  what: string,
): string[] {
  const list = readArray(value, path, 1, Math.max(1, choices.length * 2));
  const labels = list.map((raw, i) => readChoice(raw, fieldPath(path, i), choices, what));
  return [...new Set(labels)];
}

function readZone(
  value: unknown,
  path: string,
  classes: readonly string[],
  uniqueName: (raw: unknown, path: string) => string,
): Zone {
  const fields = readObject(value, path, ["name", "polygon", "classes", "loiterSeconds"]);
  const zone: Zone = {
    name: uniqueName(fields.name, fieldPath(path, "name")),
    polygon: readPolygon(fields.polygon, fieldPath(path, "polygon")),
  };
  if (fields.classes !== undefined) {
    zone.classes = readLabels(
      fields.classes,
      fieldPath(path, "classes"),
      classes,
      "an analysed class",
    );
  }
  if (fields.loiterSeconds !== undefined) {
    zone.loiterSeconds = readNumber(
      fields.loiterSeconds,
      fieldPath(path, "loiterSeconds"),
      LIMITS.loiterSeconds,
    );
  }
  return zone;
}

function readLine(
  value: unknown,
  path: string,
  classes: readonly string[],
  uniqueName: (raw: unknown, path: string) => string,
): CrossingLine {
  const fields = readObject(value, path, ["name", "a", "b", "classes"]);
  const line: CrossingLine = {
    name: uniqueName(fields.name, fieldPath(path, "name")),
    a: readPoint(fields.a, fieldPath(path, "a")),
    b: readPoint(fields.b, fieldPath(path, "b")),
  };
  if (line.a[0] === line.b[0] && line.a[1] === line.b[1]) {
    throw invalidField(fieldPath(path, "b"), "must differ from a: a line needs two ends");
  }
  if (fields.classes !== undefined) {
    line.classes = readLabels(
      fields.classes,
      fieldPath(path, "classes"),
      classes,
      "an analysed class",
    );
  }
  return line;
}

function readPoint(value: unknown, path: string): Point {
  const pair = readArray(value, path, 2, 2);
  return [
    readNumber(pair[0], fieldPath(path, 0), LIMITS.coordinate),
    readNumber(pair[1], fieldPath(path, 1), LIMITS.coordinate),
  ];
}

function readPolygon(value: unknown, path: string): Point[] {
  const polygon = readArray(value, path, LIMITS.vertices.min, LIMITS.vertices.max)
    .map((raw, i) => readPoint(raw, fieldPath(path, i)));
  if (onOneLine(polygon)) throw invalidField(path, "has no area: its vertices are on a line");
  const crossing = selfIntersection(polygon);
  if (crossing) {
    throw invalidField(
      path,
      `is self-intersecting: edges ${crossing[0]} and ${crossing[1]} cross or touch ` +
        "(list the vertices in order around the area)",
    );
  }
  return polygon;
}

function onOneLine(polygon: readonly Point[]): boolean {
  const first = polygon[0]!;
  const other = polygon.find((p) => p[0] !== first[0] || p[1] !== first[1]);
  return other === undefined || polygon.every((p) => sideOfLine(first, other, p) === 0);
}

function readRules(value: unknown, fps: number): EventRules {
  const fields = readObject(value === undefined ? {} : value, "rules", [
    "confirmFrames",
    "leaveAfterMs",
    "motionThreshold",
    "minMotion",
    "keepAliveFps",
  ]);
  const defaults = DEFAULT_ANALYTICS_SETTINGS.rules;
  const read = (key: keyof EventRules, rule: NumberRule) =>
    fields[key] === undefined ? defaults[key] : readNumber(fields[key], `rules.${key}`, rule);
  return {
    confirmFrames: read("confirmFrames", LIMITS.confirmFrames),
    leaveAfterMs: read("leaveAfterMs", LIMITS.leaveAfterMs),
    motionThreshold: read("motionThreshold", LIMITS.motionThreshold),
    minMotion: read("minMotion", LIMITS.minMotion),
    // The default (1) never exceeds fps, whose least value is 1.
    keepAliveFps: read("keepAliveFps", { min: 0, max: fps }),
  };
}

function readWebhook(value: unknown, path: string): WebhookSettings {
  const fields: Fields = readObject(value, path, ["url", "events"]);
  const urlPath = fieldPath(path, "url");
  if (typeof fields.url !== "string" || fields.url.length > LIMITS.url) {
    throw invalidField(urlPath, `must be an http or https URL of at most ${LIMITS.url} characters`);
  }
  let url: URL;
  try {
    url = new URL(fields.url);
  } catch {
    throw invalidField(urlPath, "must be an absolute http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidField(urlPath, `must use http or https, not ${url.protocol.replace(":", "")}`);
  }
  // Credentials in a URL end up in logs and the settings table; refuse them without echoing them.
  if (url.username !== "" || url.password !== "") {
    throw invalidField(urlPath, "must not hold a user name or password");
  }
  if (url.hostname === "") throw invalidField(urlPath, "must name a host");
  const events = fields.events === undefined ? [...EVENT_KINDS] : [
    ...new Set(
      readArray(fields.events, fieldPath(path, "events"), 1, EVENT_KINDS.length * 2).map((raw, i) =>
        readChoice(raw, fieldPath(fieldPath(path, "events"), i), EVENT_KINDS, "an event kind")
      ),
    ),
  ];
  return { url: url.href, events };
}
