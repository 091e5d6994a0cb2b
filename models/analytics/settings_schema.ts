/**
 * The zod schemas of analytics settings: what `PUT /api/cameras/{id}/analytics` accepts (every
 * field optional, unknown fields refused) and what the API answers; the API document, validation
 * and types all come from them. Refinements check what JSON Schema cannot (simple polygons,
 * distinct line ends, unique names, keep-alive ≤ fps); models and labels are checked per box in
 * settings.ts. Coordinates are 0..1 of the frame, so settings survive a resolution change.
 *
 * @module
 */
import { z } from "zod";
import { type Point as PointType, selfIntersection, sideOfLine } from "./geometry.ts";
import { LABEL_PATTERN } from "../detectors/labels.ts";
import { patterned } from "../validation.ts";

/**
 * Kinds of significant events. `object`: a confirmed track, open while it is tracked. `zone`: a
 * track's foot point inside a zone, opened on enter and closed on leave. `loitering`: inside a
 * zone longer than its `loiterSeconds`. `line_cross`: an instant event with a direction.
 * `offline`: the camera's stream is down, opened when it goes offline and closed when it is back.
 * `onvif`: what the camera itself reports (motion or tamper alarm, digital input...), opened and
 * closed as the camera's property state says (models/onvif/event_state.ts).
 */
export const EVENT_KINDS = [
  "object",
  "zone",
  "loitering",
  "line_cross",
  "offline",
  "onvif",
] as const;

/** Bounds of every numeric setting and list. */
export const LIMITS = {
  fps: { min: 1, max: 30 },
  minScore: { min: 0, max: 1 },
  coordinate: { min: 0, max: 1 },
  confirmFrames: { min: 1, max: 30, integer: true },
  leaveAfterMs: { min: 100, max: 60_000, integer: true },
  motionThreshold: { min: 1, max: 255, integer: true },
  minMotion: { min: 0, max: 1 },
  keepAliveFps: { min: 0, max: 30 },
  idleKeepAliveFps: { min: 0, max: 30 },
  loiterSeconds: { min: 1, max: 86_400 },
  classes: 512,
  zones: 32,
  masks: 32,
  lines: 16,
  vertices: { min: 3, max: 64 },
  url: 2048,
} as const;

/**
 * A number within bounds, every failure worded "must be a number from 1 to 30".
 *
 * @param rule inclusive bounds and whether it must be an integer
 * @returns the schema
 */
function bounded(rule: { min: number; max: number; integer?: boolean }) {
  const message = `must be ${
    rule.integer ? "an integer" : "a number"
  } from ${rule.min} to ${rule.max}`;
  const number = z.number({ error: message });
  return (rule.integer ? number.int({ error: message }) : number)
    .min(rule.min, { error: message })
    .max(rule.max, { error: message });
}

/**
 * A list of `min` to `max` items.
 *
 * @returns the schema
 */
function list<T extends z.ZodType>(item: T, min: number, max: number) {
  const message = `must hold ${min} to ${max} items`;
  return z.array(item, { error: `must be an array (${min} to ${max} items)` })
    .min(min, { error: message })
    .max(max, { error: message });
}

const Coordinate = bounded(LIMITS.coordinate);

/** A normalized point `[x, y]`. */
export const Point = z.tuple([Coordinate, Coordinate], {
  error: "must be a point [x, y] of two numbers from 0 to 1",
}).meta({ id: "Point", description: "[x, y], normalized to 0..1 (x right, y down)" });

/** 3–64 vertices in order around a simple polygon. */
export const PolygonSchema = list(Point, LIMITS.vertices.min, LIMITS.vertices.max)
  .superRefine((polygon, ctx) => {
    if (onOneLine(polygon)) {
      ctx.addIssue({ code: "custom", message: "has no area: its vertices are on a line" });
      return;
    }
    const crossing = selfIntersection(polygon);
    if (crossing) {
      ctx.addIssue({
        code: "custom",
        message: `is self-intersecting: edges ${crossing[0]} and ${crossing[1]} cross or touch ` +
          "(list the vertices in order around the area)",
      });
    }
  })
  .meta({
    id: "Polygon",
    description: "3 to 64 vertices in order around the area; simple (no edges crossing or " +
      "touching) and with an area",
    example: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]],
  });

function onOneLine(polygon: readonly PointType[]): boolean {
  const first = polygon[0]!;
  const other = polygon.find((p) => p[0] !== first[0] || p[1] !== first[1]);
  return other === undefined || polygon.every((p) => sideOfLine(first, other, p) === 0);
}

const NAME = /^(?=.*[\p{L}\p{N}])[\p{L}\p{N}_.-](?:[\p{L}\p{N} _.-]{0,62}[\p{L}\p{N}_.-])?$/u;
const ZoneName = patterned(
  NAME,
  "must be 1-64 letters, digits, spaces, '_', '-' or '.', with a letter or digit, " +
    "not starting or ending with a space",
).meta({ description: "Unique among zones and lines", example: "front door" });

/** A class label as detectors name them. */
const Label = patterned(LABEL_PATTERN, "must be 1 to 64 printable characters")
  .meta({ example: "person" });

const Classes = list(Label, 1, LIMITS.classes).meta({
  description: "Labels the chosen model knows; repeated ones are dropped",
});

/** A named area of interest. */
export const ZoneSchema = z.strictObject({
  name: ZoneName,
  polygon: PolygonSchema,
  classes: Classes.optional().meta({
    description: "Classes this zone reports (analysed ones); absent: every analysed class",
  }),
  loiterSeconds: bounded(LIMITS.loiterSeconds).optional().meta({
    description: "Open a `loitering` event when a track stays inside this long; absent: never",
  }),
}).meta({ id: "Zone" });

/** An area whose detections are ignored (a road behind the fence, a TV, a flag in the wind). */
export const MaskSchema = z.strictObject({ polygon: PolygonSchema }).meta({ id: "Mask" });

/** A tripwire: a track's foot point crossing `a`–`b` is a `line_cross` event. */
export const CrossingLineSchema = z.strictObject({
  name: ZoneName,
  a: Point.meta({ description: "Start; directions are named facing from a to b" }),
  b: Point,
  classes: Classes.optional().meta({
    description: "Classes this line reports (analysed ones); absent: every analysed class",
  }),
}).superRefine((line, ctx) => {
  if (line.a[0] === line.b[0] && line.a[1] === line.b[1]) {
    ctx.addIssue({
      code: "custom",
      path: ["b"],
      message: "must differ from a: a line needs two ends",
    });
  }
}).meta({ id: "CrossingLine" });

const RULES = {
  confirmFrames: bounded(LIMITS.confirmFrames).meta({
    description: "Detector hits before a track is confirmed and its `object` event opens",
  }),
  leaveAfterMs: bounded(LIMITS.leaveAfterMs).meta({
    description: "A track unseen this long has left: its events close",
  }),
  motionThreshold: bounded(LIMITS.motionThreshold).meta({
    description: "Per-pixel gray difference (of 255) that counts as change in the motion gate",
  }),
  minMotion: bounded(LIMITS.minMotion).meta({
    description: "Share of the unmasked frame that must change to run the detector; 0: always",
  }),
  keepAliveFps: bounded(LIMITS.keepAliveFps).meta({
    description: "The detector runs at least this often without motion while the scene is not " +
      "settled (see idleKeepAliveFps; at most fps); 0: never",
  }),
  idleKeepAliveFps: bounded(LIMITS.idleKeepAliveFps).meta({
    description: "The keep-alive rate on a settled scene: nothing tracked, or every tracked " +
      "object confirmed and seen in the last run, with no event rule waiting on a run (a zone " +
      "leave, a loitering timer). Default 0.2; a value above keepAliveFps acts as keepAliveFps. " +
      "Motion over minMotion still runs the detector at once; a smaller change waits for a " +
      "keep-alive",
  }),
  motionCrops: z.boolean({ error: "must be true or false" }).meta({
    description: "Run the detector on crops around motion and tracked objects instead of the " +
      "whole frame (full frames on keep-alive, on motion over half the picture, and every 3 s " +
      "while anything is tracked); false: always the whole frame",
  }),
};

/** How tracks become events, and how the motion gate decides to run the detector. */
export const EventRulesSchema = z.object(RULES).meta({ id: "EventRules" });

const WebhookUrl = z.string({ error: `must be an http or https URL` })
  .max(LIMITS.url, { error: `must be an http or https URL of at most ${LIMITS.url} characters` })
  .superRefine((raw, ctx) => {
    const problem = webhookUrlProblem(raw);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: "http or https, no credentials (put a token in the path or query instead)",
    example: "https://hooks.example.net/vigil?token=abc",
  });

/**
 * What is wrong with a webhook URL, if anything. Credentials are refused without being echoed:
 * they would end up in logs and the settings table.
 *
 * @param raw the URL as given
 * @returns the problem, completing "webhook.url ...", or undefined when it is usable
 */
function webhookUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `must use http or https, not ${url.protocol.replace(":", "")}`;
  }
  if (url.username !== "" || url.password !== "") return "must not hold a user name or password";
  if (url.hostname === "") return "must name a host";
  return undefined;
}

const EventKind = z.enum(EVENT_KINDS, {
  error: `must be an event kind (${EVENT_KINDS.join(", ")})`,
});

/** Where to POST events. Any http(s) host is allowed: the usual target is on the LAN. */
export const WebhookSchema = z.object({
  url: WebhookUrl,
  events: z.array(EventKind).meta({ description: "Kinds posted, on open and on close" }),
}).meta({ id: "Webhook" });

/** The body of `PUT /api/cameras/{id}/analytics`: every field optional, none unknown. */
export const AnalyticsSettingsInput = z.strictObject({
  detector: z.string({ error: "must be a known detector model" }).optional().meta({
    description: "Detector model name (default centernet)",
  }),
  fps: bounded(LIMITS.fps).optional().meta({ description: "Frames analysed per second (5)" }),
  classes: Classes.optional().meta({
    description: "Labels kept (default: person, car, bicycle, motorcycle, bus, truck, dog, cat " +
      "as far as the model knows them)",
  }),
  minScore: bounded(LIMITS.minScore).optional().meta({
    description: "Detections scoring below are dropped (0.4)",
  }),
  zones: list(ZoneSchema, 0, LIMITS.zones).optional(),
  masks: list(MaskSchema, 0, LIMITS.masks).optional(),
  lines: list(CrossingLineSchema, 0, LIMITS.lines).optional(),
  rules: z.strictObject({
    confirmFrames: RULES.confirmFrames.optional(),
    leaveAfterMs: RULES.leaveAfterMs.optional(),
    motionThreshold: RULES.motionThreshold.optional(),
    minMotion: RULES.minMotion.optional(),
    keepAliveFps: RULES.keepAliveFps.optional(),
    idleKeepAliveFps: RULES.idleKeepAliveFps.optional(),
    motionCrops: RULES.motionCrops.optional(),
  }).optional().meta({ description: "Each rule left out keeps its default" }),
  webhook: z.strictObject({
    url: WebhookUrl,
    events: list(EventKind, 1, EVENT_KINDS.length * 2).optional().meta({
      description: "Kinds posted (default: all)",
    }),
  }).optional(),
}).superRefine((settings, ctx) => {
  const seen = new Set<string>();
  const named = [
    ...(settings.zones ?? []).map((zone, i) => ({ name: zone.name, path: ["zones", i, "name"] })),
    ...(settings.lines ?? []).map((line, i) => ({ name: line.name, path: ["lines", i, "name"] })),
  ];
  for (const { name, path } of named) {
    if (seen.has(name)) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `repeats the name "${name}" of another zone or line`,
      });
    }
    seen.add(name);
  }
  const fps = settings.fps ?? 5;
  const keepAlive = settings.rules?.keepAliveFps;
  if (keepAlive !== undefined && keepAlive > fps) {
    ctx.addIssue({
      code: "custom",
      path: ["rules", "keepAliveFps"],
      message: `must be a number from 0 to ${fps} (the fps): current value is ${keepAlive}`,
    });
  }
}).meta({
  id: "AnalyticsSettingsInput",
  description: "Every field is optional and falls back to its default; unknown fields are " +
    "refused. The reply is the settings as applied.",
  example: {
    fps: 5,
    classes: ["person", "car"],
    zones: [{ name: "driveway", polygon: [[0.1, 0.5], [0.6, 0.5], [0.6, 1], [0.1, 1]] }],
    lines: [{ name: "gate", a: [0.7, 0.2], b: [0.7, 0.9] }],
  },
});

/** The settings as applied: every field present. */
export const AnalyticsSettingsSchema = z.object({
  detector: z.string(),
  fps: bounded(LIMITS.fps),
  classes: z.array(z.string()),
  minScore: bounded(LIMITS.minScore),
  zones: z.array(ZoneSchema),
  masks: z.array(MaskSchema),
  lines: z.array(CrossingLineSchema),
  rules: EventRulesSchema,
  webhook: WebhookSchema.optional(),
}).meta({ id: "AnalyticsSettings" });

/** The input schema's type: what a request may hold. */
export type AnalyticsSettingsRequest = z.output<typeof AnalyticsSettingsInput>;
