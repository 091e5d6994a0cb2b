/**
 * What the MQTT bridge reads of the cameras and how its switches act: facts from the database
 * (names, analytics classes) and the fleet (observed states), and commands that go through the
 * fleet exactly as the admin API's `PUT`/`DELETE /api/cameras/{id}/analytics|recording` do — the
 * desired state is stored, and a restart restores it.
 *
 * @module
 */
import type { Database } from "../../models/store/database.ts";
import { allCameras, getCamera } from "../../models/store/cameras.ts";
import type { AnalyticsSettings } from "../../models/analytics/settings.ts";
import { readStoredRecording } from "../../models/recording/settings.ts";
import type { CameraFacts, SwitchName } from "../../models/mqtt/topics.ts";
import type { Fleet } from "../camera/fleet.ts";
import { ValidationError } from "../../models/errors.ts";

/** The bridge's view of the cameras. */
export interface CameraLink {
  /** Every camera with its state now. */
  facts(): Promise<CameraFacts[]>;
  /**
   * Turns a camera's analytics or recording on or off.
   *
   * @throws {ValidationError} for ON when the camera has no settings to turn on with
   * @throws {NotFoundError} for an unknown camera
   */
  command(camera: string, name: SwitchName, on: boolean): Promise<void>;
}

/**
 * @param db the database
 * @param fleet the cameras' units
 * @returns the link
 */
export function cameraLink(db: Database, fleet: Fleet): CameraLink {
  // Detaching forgets the settings (as `DELETE .../analytics` does); ON after OFF re-attaches
  // what was detached, for as long as this process runs.
  const detached = new Map<string, AnalyticsSettings>();
  return {
    async facts() {
      return (await allCameras(db.sql)).map((camera) => {
        const status = fleet.status(camera.id);
        const analytics = camera.desired.analytics as AnalyticsSettings | null | undefined;
        return {
          id: camera.id,
          name: camera.name,
          stream: status.stream,
          analytics: status.analytics === "attached",
          recording: status.recording !== "idle",
          labels: analytics?.classes ?? [],
        };
      });
    },
    async command(id, name, on) {
      const camera = await getCamera(db.sql, id);
      if (name === "analytics") {
        const stored = camera.desired.analytics as AnalyticsSettings | null | undefined;
        if (!on) {
          if (stored) detached.set(id, stored);
          return await fleet.detachAnalytics(id);
        }
        const settings = stored ?? detached.get(id);
        if (!settings) {
          throw new ValidationError(
            "mqtt: analytics ON needs settings: attach them once with PUT /api/cameras/{id}/analytics",
            "analytics",
          );
        }
        return await fleet.attachAnalytics(id, settings);
      }
      if (!on) return await fleet.stopRecording(id);
      const stored = readStoredRecording(camera.desired.recording);
      if (!stored) {
        throw new ValidationError(
          "mqtt: recording ON needs settings: start it once with PUT /api/cameras/{id}/recording",
          "recording",
        );
      }
      await fleet.startRecording(id, stored.settings);
    },
  };
}
