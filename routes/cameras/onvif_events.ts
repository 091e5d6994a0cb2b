/**
 * A camera's own events (`/api/cameras/{id}/onvif-events`): whether Vigil subscribes to what an
 * ONVIF camera reports (motion and tamper alarms, digital inputs...), which topics it keeps, and
 * how the subscription is doing. On by default for cameras added over ONVIF whose device offers
 * the event service. The events themselves are ordinary events of kind `onvif`
 * (`GET /api/events?kind=onvif`, the live feed, webhooks).
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "../shared/app_deps.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "../openapi.ts";
import { IdParam, Instant, UuidOut } from "../schemas.ts";
import { getCamera } from "../../models/store/cameras.ts";
import { readOnvifAccess } from "../../models/onvif/stored_info.ts";
import { type OnvifEventSettings, readOnvifEventSettings } from "../../models/onvif/event_state.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import type { PullPointStatus } from "../../actors/onvif/pull_point.ts";

const Topic = z.string().min(1).max(256)
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  .regex(/^[^\x00-\x1f\x7f\s]*$/, "must be a topic without spaces")
  .openapi({ example: "tns1:VideoSource/MotionAlarm" });

const SettingsInput = z.strictObject({
  enabled: z.boolean(),
  topics: z.array(Topic).max(32).nullable().optional().openapi({
    description: "Topics kept, each with its subtopics; absent or null for all",
  }),
}).openapi("OnvifEventsInput");

const OnvifEvents = z.object({
  camera: UuidOut,
  enabled: z.boolean(),
  topics: z.array(z.string()).nullable(),
  state: z.enum(["off", "connecting", "subscribed", "retrying", "unsupported", "stopped"])
    .openapi({ description: "`unsupported`: the camera offers no event service" }),
  subscribedAt: Instant.nullable(),
  subscriptions: z.number().int().openapi({
    description: "Subscriptions made (more than one: the camera restarted or failed)",
  }),
  received: z.number().int().openapi({ description: "Notifications received" }),
  lastError: z.string().nullable(),
}).openapi("OnvifEvents");

const tags = ["onvif events"];
const ERRORS = {
  404: "No such camera",
  409: "The camera was not added over ONVIF (`onvif_not_capable`)",
} as const;

const read = createRoute({
  method: "get",
  path: "/{id}/onvif-events",
  summary: "The camera's own events: settings and subscription",
  tags,
  request: { params: IdParam },
  responses: { 200: jsonReply(OnvifEvents, "The settings and state"), ...errorReplies(ERRORS) },
});

const write = createRoute({
  method: "put",
  path: "/{id}/onvif-events",
  summary: "Turn the camera's own events on or off, or choose their topics",
  description: "Stored with the camera; the subscription starts again with the new settings.",
  tags,
  request: { params: IdParam, body: jsonBody(SettingsInput) },
  responses: {
    200: jsonReply(OnvifEvents, "The new settings and state"),
    ...errorReplies({ ...ERRORS, 422: "A bad topic" }),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function onvifEventRoutes(deps: AppDeps) {
  const { db, fleet } = deps;
  const onvifCamera = async (id: string) => {
    const row = await getCamera(db.sql, id);
    if (!readOnvifAccess(row.onvif)) {
      throw new OnvifError("onvif_not_capable", `onvif: camera ${id} was not added over ONVIF`);
    }
    return row;
  };
  const view = (id: string, settings: OnvifEventSettings): z.infer<typeof OnvifEvents> => {
    const status: PullPointStatus | null = fleet.onvifEventsStatus(id);
    return {
      camera: id,
      enabled: settings.enabled,
      topics: settings.topics,
      state: status?.state ?? "off",
      subscribedAt: status?.subscribedAt ? new Date(status.subscribedAt).toISOString() : null,
      subscriptions: status?.subscriptions ?? 0,
      received: status?.received ?? 0,
      lastError: status?.lastError ?? null,
    };
  };
  return apiApp()
    .openapi(read, async (c) => {
      const { id } = c.req.valid("param");
      const row = await onvifCamera(id);
      return c.json(view(id, readOnvifEventSettings(row.desired.onvifEvents)), 200);
    })
    .openapi(write, async (c) => {
      const { id } = c.req.valid("param");
      await onvifCamera(id);
      const body = c.req.valid("json");
      const settings = { enabled: body.enabled, topics: body.topics ?? null };
      await fleet.setOnvifEvents(id, settings);
      return c.json(view(id, settings), 200);
    });
}
