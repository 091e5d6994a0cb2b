/**
 * Kept events: `PUT /api/events/{id}/keep` `{"keep":true|false}` and `GET /api/events/{id}/keep`.
 * A kept event's segments — from its pre-roll to its post-roll — are never deleted by retention
 * or the disk guard, so the evidence outlives the camera's `retainDays`.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { getEventKeep, setEventKeep } from "../models/store/event_recording.ts";
import { getEvent } from "../models/store/events.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { IdParam, UuidOut } from "./schemas.ts";

const Keep = z.object({
  id: UuidOut,
  camera: UuidOut,
  keep: z.boolean().openapi({ description: "Whether retention must spare its segments" }),
}).openapi("EventKeep");

const tags = ["events"];
const NOT_FOUND = { 404: "No such event" } as const;

const put = createRoute({
  method: "put",
  path: "/{id}/keep",
  summary: "Keep (or stop keeping) an event's recording",
  tags,
  request: { params: IdParam, body: jsonBody(z.strictObject({ keep: z.boolean() })) },
  responses: { 200: jsonReply(Keep, "The flag as stored"), ...errorReplies(NOT_FOUND) },
});

const get = createRoute({
  method: "get",
  path: "/{id}/keep",
  summary: "Whether an event's recording is kept",
  tags,
  request: { params: IdParam },
  responses: { 200: jsonReply(Keep, "The flag"), ...errorReplies(NOT_FOUND) },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/events`
 */
export function eventKeepRoutes(deps: AppDeps) {
  const { db } = deps;
  return apiApp()
    .openapi(put, async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await setEventKeep(db.sql, id, c.req.valid("json").keep), 200);
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid("param");
      const event = await getEvent(db.sql, id);
      return c.json({ id, camera: event.cameraId, keep: await getEventKeep(db.sql, id) }, 200);
    });
}
