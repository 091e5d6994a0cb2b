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
import type { Context } from "hono";
import type { Database } from "../models/store/database.ts";
import { listDetections } from "../models/store/detections.ts";
import { ValidationError } from "../models/errors.ts";
import { isUuid } from "../models/ids.ts";
import { pageParams } from "./validate.ts";

const KNOWN = new Set(["camera", "label", "from", "to", "limit", "cursor"]);
const LABEL = /^[A-Za-z0-9 _.-]{1,64}$/;
/** ISO 8601 date-time with an explicit zone; a bare local time would depend on the server. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(c: Context, name: string): Date | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (!INSTANT.test(raw) || Number.isNaN(date.getTime())) {
    throw new ValidationError(
      `${name} must be an ISO 8601 time with a zone, e.g. 2026-11-25T14:00:00Z`,
      name,
      400,
    );
  }
  return date;
}

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
    for (const key of Object.keys(c.req.query())) {
      if (!KNOWN.has(key)) throw new ValidationError(`${key} is not a known parameter`, key, 400);
    }
    const camera = c.req.query("camera");
    if (camera !== undefined && !isUuid(camera)) {
      throw new ValidationError("camera must be a UUID", "camera", 400);
    }
    const label = c.req.query("label");
    if (label !== undefined && !LABEL.test(label)) {
      throw new ValidationError(
        "label must be 1 to 64 letters, digits, spaces or _.-",
        "label",
        400,
      );
    }
    const from = instant(c, "from");
    const to = instant(c, "to");
    if (from && to && from.getTime() >= to.getTime()) {
      throw new ValidationError("from must be before to", "from", 422);
    }
    const { limit, cursor } = pageParams(c);
    const page = await listDetections(db.sql, {
      camera: camera?.toLowerCase(),
      label,
      from,
      to,
      limit,
      cursor,
    });
    return c.json(page);
  });
}
