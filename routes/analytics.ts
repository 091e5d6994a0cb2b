/**
 * attachAnalytics / detachAnalytics:
 * `PUT /api/cameras/{id}/analytics` (settings; 200 with the settings as applied, defaults filled),
 * `GET /api/cameras/{id}/analytics` (the settings, or 404 when detached),
 * `DELETE /api/cameras/{id}/analytics` (204).
 *
 * Settings are validated by their schema (422 naming the field), then against the models this
 * box has, stored with the camera (restored after a restart) and sent to its actor; changing them
 * while attached applies to the next frame without restarting capture.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./app.ts";
import { type AnalyticsSettings, resolveAnalyticsSettings } from "../models/analytics/settings.ts";
import {
  AnalyticsSettingsInput,
  AnalyticsSettingsSchema,
} from "../models/analytics/settings_schema.ts";
import { getCamera } from "../models/store/cameras.ts";
import { NotFoundError } from "../models/errors.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { IdParam } from "./schemas.ts";
import { settingsView } from "../models/analytics/settings_view.ts";

const AnalysisStats = z.object({
  frames: z.number().int().openapi({ description: "Frames the throttle let through" }),
  detectorRuns: z.number().int(),
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
  responses: { 204: { description: "Detached" }, ...errorReplies(NOT_FOUND) },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function analyticsRoutes(deps: AppDeps) {
  const { db, fleet, detectors } = deps;
  return apiApp()
    .openapi(attach, async (c) => {
      const { id } = c.req.valid("param");
      const settings = resolveAnalyticsSettings(c.req.valid("json"), {
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
