/**
 * attachAnalytics / detachAnalytics:
 * `PUT /api/cameras/:id/analytics` (settings; 200 with the settings as applied, defaults filled),
 * `GET /api/cameras/:id/analytics` (the settings, or 404 when detached),
 * `DELETE /api/cameras/:id/analytics` (204).
 *
 * Settings are validated against the models this box has (422 naming the field), stored with the
 * camera (restored after a restart) and sent to its actor; changing them while attached applies
 * to the next frame without restarting capture.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps } from "./app.ts";
import { readJson, uuidParam } from "./validate.ts";
import { type AnalyticsSettings, parseAnalyticsSettings } from "../models/analytics/settings.ts";
import { getCamera } from "../models/store/cameras.ts";
import { NotFoundError } from "../models/errors.ts";

/**
 * Settings as readers see them: a webhook URL often carries its secret in the path or query
 * (Slack, Discord, Home Assistant), and viewers may read analytics, so only its origin is shown.
 *
 * @param settings stored settings
 * @returns the settings with the webhook URL cut to its origin
 */
export function withoutWebhookSecret(settings: AnalyticsSettings): AnalyticsSettings {
  if (!settings.webhook) return settings;
  return {
    ...settings,
    webhook: { ...settings.webhook, url: `${new URL(settings.webhook.url).origin}/…` },
  };
}

/**
 * Lets a client send back the settings it read: a webhook URL equal to the stored one as readers
 * see it (origin plus `/…`) means "keep the stored URL", so saving zones from the console does not
 * replace a webhook's secret with its redacted form. Any other URL replaces it.
 *
 * @param body the request body, unchecked
 * @param stored the settings stored now, if any
 * @returns the body, with the stored webhook URL put back when it was sent redacted
 */
export function keepWebhookSecret(body: unknown, stored: AnalyticsSettings | undefined): unknown {
  const redacted = stored?.webhook && withoutWebhookSecret(stored).webhook?.url;
  if (!redacted || typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const webhook = (body as { webhook?: unknown }).webhook;
  if (typeof webhook !== "object" || webhook === null) return body;
  if ((webhook as { url?: unknown }).url !== redacted) return body;
  return { ...body, webhook: { ...webhook, url: stored!.webhook!.url } };
}

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function analyticsRoutes(deps: AppDeps): Hono {
  const { db, fleet, detectors } = deps;
  const anything = (value: unknown) => value;
  return new Hono()
    .put("/:id/analytics", async (c) => {
      const id = uuidParam(c, "id");
      const body = await readJson(c, anything);
      const stored = (await getCamera(db.sql, id)).desired.analytics as
        | AnalyticsSettings
        | null
        | undefined;
      const settings = parseAnalyticsSettings(keepWebhookSecret(body, stored ?? undefined), {
        models: detectors.names(),
        labels: detectors.labels(),
      });
      await fleet.attachAnalytics(id, settings);
      return c.json(settings);
    })
    .get("/:id/analytics", async (c) => {
      const id = uuidParam(c, "id");
      const camera = await getCamera(db.sql, id);
      const settings = camera.desired.analytics as AnalyticsSettings | null | undefined;
      if (!settings) throw new NotFoundError(`analytics of camera ${id}`);
      return c.json({ settings: withoutWebhookSecret(settings), stats: fleet.analysisStats(id) });
    })
    .delete("/:id/analytics", async (c) => {
      await fleet.detachAnalytics(uuidParam(c, "id"));
      return c.body(null, 204);
    });
}
