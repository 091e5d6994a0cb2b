/**
 * `GET /api/detections`: per-frame detections newest first, filtered by camera, label and time,
 * paged with an opaque cursor; `GET /api/detections/counts`: counts per label per time bucket. `from` is inclusive and `to` exclusive (ISO 8601 with a zone); a
 * malformed parameter is 400, `from` after `to` 422. Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../models/store/database.ts";
import { listDetections } from "../models/store/detection_queries.ts";
import { cameraFilter } from "../models/auth.ts";
import { ValidationError } from "../models/errors.ts";
import { requestToken } from "./shared/access.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import {
  Instant,
  InstantQuery,
  Label,
  pageOf,
  rangeIsOrdered,
  SeriesQuery,
  Uuid,
  UuidOut,
} from "./schemas.ts";
import {
  COUNT_BUCKETS,
  type CountBucket,
  countDetections,
} from "../models/store/detection_counts.ts";

const DAY_MS = 86_400_000;

/** A normalized coordinate, 0..1 of the analysed frame. */
const Unit = z.number().min(0).max(1);

const Detection = z.object({
  id: UuidOut,
  camera: UuidOut,
  ts: Instant,
  frame: z.number().int().openapi({ description: "Frame number within the capture session" }),
  trackId: UuidOut.nullable().openapi({ description: "The tracked object, when tracked" }),
  label: z.string().openapi({ example: "car" }),
  score: Unit.openapi({ example: 0.87 }),
  box: z.tuple([Unit, Unit, Unit, Unit]).openapi({
    description: "[x1, y1, x2, y2] normalized to 0..1 of the frame: top-left, bottom-right",
    example: [0.25, 0.25, 0.5, 0.5],
  }),
}).openapi("Detection");

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Detections, newest first",
  description: "`from` inclusive, `to` exclusive, ISO 8601 with a zone. Unknown parameters are " +
    "refused (400); `from` at or after `to` is 422.",
  tags: ["detections"],
  request: { query: SeriesQuery.superRefine(rangeIsOrdered) },
  responses: {
    200: jsonReply(pageOf(Detection).openapi("DetectionPage"), "One page"),
    ...errorReplies({
      422: "`from` is at or after `to`",
      503: "`query_timeout`: the query ran longer than 5 s (PostgreSQL); narrow it with from/to",
    }),
  },
});

const CountsQuery = z.strictObject({
  camera: Uuid.optional(),
  label: Label.optional(),
  bucket: z.enum(Object.keys(COUNT_BUCKETS) as [CountBucket, ...CountBucket[]]).default("1h")
    .openapi({ description: "Bucket size (aligned to the epoch, UTC)" }),
  from: InstantQuery.optional().openapi({ description: "Inclusive; default `to` − 24 h" }),
  to: InstantQuery.optional().openapi({ description: "Exclusive; default now" }),
});

const Counts = z.object({
  bucket: z.string(),
  from: Instant,
  to: Instant,
  items: z.array(z.object({
    bucket: Instant.openapi({ description: "Start of the bucket" }),
    label: z.string(),
    count: z.number().int(),
  })).openapi({ description: "Per bucket and label, buckets without detections left out" }),
}).openapi("DetectionCounts");

const counts = createRoute({
  method: "get",
  path: "/counts",
  summary: "Detections counted per label per time bucket",
  description: "Counted in the database: a day at 5-minute buckets reads no row into Vigil. " +
    "`from` at or after `to` is 422, and so are a range of more than 2,000 buckets and an " +
    "answer of more than 20,000 counts (buckets × labels).",
  tags: ["detections"],
  request: { query: CountsQuery },
  responses: {
    200: jsonReply(Counts, "The counts"),
    ...errorReplies({
      422: "`from` is at or after `to`, or too many buckets or counts",
      503: "`query_timeout`: the count ran longer than 5 s (PostgreSQL); narrow it with from/to",
    }),
  },
});

/**
 * @param db the database
 * @returns the sub-app, mounted at `/api/detections`
 * @example
 * ```ts
 * app.route("/api/detections", detectionRoutes(db));
 * ```
 */
export function detectionRoutes(db: Database) {
  return apiApp().openapi(
    list,
    async (c) => {
      const query = c.req.valid("query");
      const filter = cameraFilter(requestToken(c), query.camera);
      if (filter === "none") return c.json({ items: [], next: null }, 200);
      return c.json(await listDetections(db.sql, { ...query, ...filter }), 200);
    },
  ).openapi(counts, async (c) => {
    const query = c.req.valid("query");
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DAY_MS);
    if (from >= to) throw new ValidationError("detections: from must be before to", "from");
    const filter = cameraFilter(requestToken(c), query.camera);
    const range = { bucket: query.bucket, from: from.toISOString(), to: to.toISOString() };
    if (filter === "none") return c.json({ ...range, items: [] }, 200);
    const items = await countDetections(db.sql, { ...query, ...filter, from, to });
    return c.json({ ...range, items }, 200);
  });
}
