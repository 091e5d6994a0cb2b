/**
 * `GET /api/detections`: per-frame detections newest first, filtered by camera, label and time,
 * paged with an opaque cursor. `from` is inclusive and `to` exclusive (ISO 8601 with a zone); a
 * malformed parameter is 400, `from` after `to` 422. Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../models/store/database.ts";
import { listDetections } from "../models/store/detection_queries.ts";
import { cameraFilter } from "../models/auth.ts";
import { requestToken } from "./shared/access.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import { Instant, pageOf, rangeIsOrdered, SeriesQuery, UuidOut } from "./schemas.ts";

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
  );
}
