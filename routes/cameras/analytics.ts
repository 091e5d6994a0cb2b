/**
 * attachAnalytics / detachAnalytics (`/api/cameras/{id}/analytics`: PUT, GET, DELETE). Settings
 * are checked by their schema, then against the models this box has, stored with the camera and
 * sent to its actor; a change while attached applies to the next frame without restarting
 * capture. Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT } from "../shared/owner.ts";
import type { AppDeps } from "../shared/app_deps.ts";
import {
  type AnalyticsSettings,
  resolveAnalyticsSettings,
} from "../../models/analytics/settings.ts";
import {
  AnalyticsSettingsInput,
  AnalyticsSettingsSchema,
} from "../../models/analytics/settings_schema.ts";
import { getCamera } from "../../models/store/cameras.ts";
import { NotFoundError } from "../../models/errors.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "../openapi.ts";
import { IdParam } from "../schemas.ts";
import { redactWebhookUrl, settingsView } from "../../models/analytics/settings_view.ts";

const AnalysisStats = z.object({
  frames: z.number().int().openapi({ description: "Frames the throttle let through" }),
  detectorRuns: z.number().int(),
  regionRuns: z.number().int().openapi({
    description: "Detector runs sent with regions (motion crops) instead of the whole frame; a " +
      "model without dynamic input (YOLO, a fixed CenterNet) runs them as whole frames",
  }),
  gateSkipRatio: z.number().openapi({ description: "Share of frames the motion gate skipped" }),
  lastInferenceMs: z.number().nullable(),
  tracks: z.number().int().openapi({ description: "Tracks alive now" }),
  openEvents: z.number().int(),
  lastError: z.string().nullable(),
}).openapi("AnalysisStats");

const Attached = z.object({
  settings: AnalyticsSettingsSchema,
  stats: AnalysisStats.nullable().openapi({ description: "null until the actor runs them" }),
}).openapi("AttachedAnalytics", {
  description: "The webhook URL is cut to its origin: it often holds a secret",
});

const tags = ["analytics"];
const NOT_FOUND = { 404: "No such camera" } as const;

const attach = createRoute({
  method: "put",
  path: "/{id}/analytics",
  summary: "attachAnalytics: run detection with these settings",
  description: "Starts capture if needed. While attached, new settings apply from the next frame.",
  tags,
  request: { params: IdParam, body: jsonBody(AnalyticsSettingsInput) },
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(
      AnalyticsSettingsSchema,
      "The settings as applied, defaults filled; the webhook URL cut to its origin, as every " +
        "reply shows it",
    ),
    ...errorReplies(NOT_FOUND),
  },
});

const read = createRoute({
  method: "get",
  path: "/{id}/analytics",
  summary: "The analytics settings and live stats",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Attached, "Attached"),
    ...errorReplies({ 404: "No such camera, or analytics is detached" }),
  },
});

const detach = createRoute({
  method: "delete",
  path: "/{id}/analytics",
  summary: "detachAnalytics: stop detection",
  description: "Open events close.",
  tags,
  request: { params: IdParam },
  responses: { ...OWNER_REDIRECT, 204: { description: "Detached" }, ...errorReplies(NOT_FOUND) },
});

/**
 * Lets a client send back the settings it read: a webhook URL equal to the stored one as readers
 * see it (origin plus `/…`) means "keep the stored URL", so saving zones from the console does not
 * replace a webhook's secret with its redacted form. Any other URL replaces it.
 *
 * @param body the request body, validated
 * @param stored the settings stored now, if any
 * @returns the body, with the stored webhook URL put back when it was sent redacted
 */
export function keepWebhookSecret<T extends { webhook?: { url: string } }>(
  body: T,
  stored: AnalyticsSettings | undefined,
): T {
  const redacted = stored?.webhook && redactWebhookUrl(stored.webhook.url);
  if (!redacted || body.webhook?.url !== redacted) return body;
  return { ...body, webhook: { ...body.webhook, url: stored!.webhook!.url } };
}

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function analyticsRoutes(deps: AppDeps) {
  const { db, fleet, detectors } = deps;
  return apiApp()
    .openapi(attach, async (c) => {
      const { id } = c.req.valid("param");
      const stored = (await getCamera(db.sql, id)).desired.analytics as
        | AnalyticsSettings
        | null
        | undefined;
      const input = keepWebhookSecret(c.req.valid("json"), stored ?? undefined);
      const settings = resolveAnalyticsSettings(input, {
        models: detectors.names(),
        labels: detectors.labels(),
      });
      await fleet.attachAnalytics(id, settings);
      return c.json(settingsView(settings), 200);
    })
    .openapi(read, async (c) => {
      const { id } = c.req.valid("param");
      const camera = await getCamera(db.sql, id);
      const settings = camera.desired.analytics as AnalyticsSettings | null | undefined;
      if (!settings) throw new NotFoundError(`analytics of camera ${id}`);
      return c.json(
        { settings: settingsView(settings), stats: fleet.analysisStats(id) },
        200,
      );
    })
    .openapi(detach, async (c) => {
      await fleet.detachAnalytics(c.req.valid("param").id);
      return c.body(null, 204);
    });
}
