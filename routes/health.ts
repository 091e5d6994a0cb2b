/**
 * `GET /api/health`: open without a token so load balancers and the media server can probe it.
 * 503 with `db:"down"` when the database does not answer.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Database } from "../models/store/database.ts";
import type { Fleet } from "../actors/camera/fleet.ts";
import { apiApp, jsonReply, PUBLIC } from "./openapi.ts";

const started = Date.now();

const Health = z.object({
  status: z.enum(["ok", "degraded"]),
  db: z.enum(["ok", "down"]),
  database: z.enum(["embedded", "postgres"]),
  uptimeS: z.number().int().openapi({ description: "Seconds since the server started" }),
  cameras: z.number().int().openapi({ description: "Cameras supervised" }),
  live: z.number().int().openapi({ description: "Cameras whose stream is live" }),
  backlog: z.number().int().openapi({
    description: "Rows waiting to be written (buffered + spilled)",
  }),
}).openapi("Health", {
  example: {
    status: "ok",
    db: "ok",
    database: "embedded",
    uptimeS: 3600,
    cameras: 4,
    live: 4,
    backlog: 0,
  },
});

const health = createRoute({
  method: "get",
  path: "/",
  summary: "Is the box up",
  description: "Open without a token. 503 when the database does not answer.",
  tags: ["health"],
  ...PUBLIC,
  responses: {
    200: jsonReply(Health, "Up"),
    503: jsonReply(Health, "The database does not answer"),
  },
});

/**
 * @param db the database to ping
 * @param fleet the cameras, for counts
 * @returns the sub-app
 */
export function healthRoutes(db: Database, fleet: Fleet) {
  return apiApp().openapi(health, async (c) => {
    const dbUp = await db.ping();
    const body = {
      status: dbUp ? "ok" as const : "degraded" as const,
      db: dbUp ? "ok" as const : "down" as const,
      database: db.kind,
      uptimeS: Math.round((Date.now() - started) / 1000),
      ...fleet.health(),
    };
    return dbUp ? c.json(body, 200) : c.json(body, 503);
  });
}
