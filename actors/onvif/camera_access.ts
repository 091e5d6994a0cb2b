/**
 * How to reach an onboarded camera's ONVIF services: its stored device URL, profile and clock
 * offset, with its username and its password opened from the sealed column. One function, so
 * PTZ and the event subscription read a camera the same way.
 *
 * @module
 */
import { type Camera, getCamera, getSealedPassword } from "../../models/store/cameras.ts";
import { readOnvifAccess } from "../../models/onvif/stored_info.ts";
import type { OnvifAccess } from "../../models/onvif/session.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import type { Database } from "../../models/store/database.ts";
import type { SecretBox } from "../../models/secret_box.ts";

/** A camera's ONVIF access and the profile its PTZ calls name. */
export interface CameraOnvifAccess extends OnvifAccess {
  profileToken: string;
}

/**
 * Reads a camera's ONVIF access.
 *
 * @param deps the database, the secret box, the per-call time limit
 * @param camera the camera's id, or its row when the caller has it
 * @returns the access
 * @throws {NotFoundError} for an unknown camera
 * @throws {OnvifError} `onvif_not_capable` for a camera not added over ONVIF
 */
export async function cameraOnvifAccess(
  deps: { db: Database; secrets: SecretBox; timeoutMs?: number },
  camera: string | Camera,
): Promise<CameraOnvifAccess> {
  const row = typeof camera === "string" ? await getCamera(deps.db.sql, camera) : camera;
  const stored = readOnvifAccess(row.onvif);
  if (!stored) {
    throw new OnvifError(
      "onvif_not_capable",
      `onvif: camera ${row.id} was not added over ONVIF (no PTZ or camera events)`,
    );
  }
  const sealed = await getSealedPassword(deps.db.sql, row.id);
  return {
    ...stored,
    username: row.username ?? "",
    password: sealed ? await deps.secrets.open(sealed) : "",
    timeoutMs: deps.timeoutMs,
  };
}
