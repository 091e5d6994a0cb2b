/**
 * A camera unit's ONVIF events: starts its PullPoint subscription when the camera was added over
 * ONVIF and its `onvif-events` settings are on (the default), and sends what the camera reports
 * through the camera's event recorder — stored, on the live feed, and posted to the analytics
 * webhook when it lists the `onvif` kind, like every other event.
 *
 * @module
 */
import type { Camera as CameraRow } from "../../models/store/cameras.ts";
import { readOnvifAccess } from "../../models/onvif/stored_info.ts";
import { readOnvifEventSettings } from "../../models/onvif/event_state.ts";
import { WebhookSchema } from "../../models/analytics/settings_schema.ts";
import type { EventAction } from "../../models/analytics/event_types.ts";
import type { WebhookSettings } from "../../models/analytics/settings.ts";
import type { Database } from "../../models/store/database.ts";
import type { SecretBox } from "../../models/secret_box.ts";
import { cameraOnvifAccess } from "./camera_access.ts";
import { type PullPoint, type PullPointOptions, startPullPoint } from "./pull_point.ts";

/** What a camera's events subscription needs. */
export interface CameraEventsDeps {
  db: Database;
  secrets: SecretBox;
  /** Per-call ONVIF time limit. */
  onvifTimeoutMs?: number;
  /** Timing overrides of the subscription (tests). */
  pullPoint?: Pick<PullPointOptions, "ttlS" | "pullTimeoutS" | "retryBaseMs">;
}

/**
 * Starts a camera's ONVIF events, if it has them.
 *
 * @param deps database, secrets, time limits
 * @param row the camera (read again: its `desired` may change while it runs)
 * @param recorder the camera's event recorder
 * @returns the subscription, or undefined for a camera not added over ONVIF or with them off
 */
export function startCameraEvents(
  deps: CameraEventsDeps,
  row: () => CameraRow,
  recorder: {
    apply(actions: readonly EventAction[], frame?: undefined, webhook?: WebhookSettings): unknown;
  },
): PullPoint | undefined {
  const camera = row();
  if (!readOnvifAccess(camera.onvif)) return undefined;
  const settings = readOnvifEventSettings(camera.desired.onvifEvents);
  if (!settings.enabled) return undefined;
  return startPullPoint({
    ...deps.pullPoint,
    cameraId: camera.id,
    access: () => cameraOnvifAccess({ ...deps, timeoutMs: deps.onvifTimeoutMs }, camera.id),
    topics: settings.topics ?? undefined,
    apply: (actions) => {
      void recorder.apply(actions, undefined, storedWebhook(row().desired.analytics));
    },
  });
}

/** The webhook of the camera's stored analytics settings, if it has a valid one. */
function storedWebhook(analytics: unknown): WebhookSettings | undefined {
  if (typeof analytics !== "object" || analytics === null || !("webhook" in analytics)) {
    return undefined;
  }
  const parsed = WebhookSchema.safeParse(analytics.webhook);
  return parsed.success ? parsed.data : undefined;
}
