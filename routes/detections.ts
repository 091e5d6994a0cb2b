/**
 * `GET /api/detections?camera=&label=&from=&to=&limit=&cursor=`: detections newest first, paged
 * with an opaque cursor. `from` is inclusive and `to` exclusive, both ISO 8601 with a time zone
 * (`2026-11-25T14:00:00Z`), so "all cars on camera 3 between 14:00 and 15:00" is
 * `?camera=<id>&label=car&from=...T14:00:00Z&to=...T15:00:00Z`. The reply is
 * `{"items":[...],"next":"<cursor>"|null}`; pass `next` back as `cursor` for the older page.
 *
 * Malformed parameters answer 400, a well-formed but impossible range (`from` after `to`) 422,
 * both as `{"error":{"code","message"}}`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Database } from "../models/store/database.ts";
import { listDetections } from "../models/store/detections.ts";
import { pageParams, seriesFilters } from "./validate.ts";

const KNOWN = ["camera", "label", "from", "to", "limit", "cursor"];

/**
 * @param db the database
 * @returns the sub-app, mounted at `/api/detections`
 * @example
 * ```ts
 * app.route("/api/detections", detectionRoutes(db));
 * ```
 */
export function detectionRoutes(db: Database): Hono {
  return new Hono().get("/", async (c) => {
    const filters = seriesFilters(c, KNOWN);
    const { limit, cursor } = pageParams(c);
    const page = await listDetections(db.sql, { ...filters, limit, cursor });
    return c.json(page);
  });
}
