/**
 * `GET /api/health`: open without a token so load balancers and the media server can probe it.
 * 503 with `db:"down"` when the database does not answer.
 *
 * @module
 */
import { Hono } from "hono";
import type { Database } from "../models/store/database.ts";
import type { Fleet } from "../actors/fleet.ts";

const started = Date.now();

/**
 * @param db the database to ping
 * @param fleet the cameras, for counts
 * @returns the sub-app
 */
export function healthRoutes(db: Database, fleet: Fleet): Hono {
  return new Hono().get("/", async (c) => {
    const dbUp = await db.ping();
    const body = {
      status: dbUp ? "ok" : "degraded",
      db: dbUp ? "ok" : "down",
      database: db.kind,
      uptimeS: Math.round((Date.now() - started) / 1000),
      ...fleet.health(),
    };
    return c.json(body, dbUp ? 200 : 503);
  });
}
