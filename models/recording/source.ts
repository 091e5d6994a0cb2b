/**
 * Which stream of a camera is recorded: the best evidence it offers. For a camera onboarded over
 * ONVIF, the largest profile onboarding remembered (`onvif.recordingProfile`); otherwise the
 * camera's `recordUrl` when set, else the URL it is captured from. Always without credentials:
 * the camera's are added by the fleet.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { splitCredentials, validateSourceUrl } from "../media/rtsp_url.ts";

/** What the choice looks at. */
export interface RecordableCamera {
  sourceUrl: string;
  recordUrl?: string;
  /** The stored ONVIF info (untyped JSON from the database). */
  onvif?: unknown;
}

/**
 * The bare URL to record.
 *
 * @param camera the stored camera
 * @returns the URL without userinfo
 * @example
 * ```ts
 * recordUrlOf({ sourceUrl: "rtsp://cam/sub", recordUrl: "rtsp://cam/main" }); // "rtsp://cam/main"
 * ```
 */
export function recordUrlOf(camera: RecordableCamera): string {
  const onvif = onvifRecordingUri(camera.onvif);
  if (onvif !== null) return onvif;
  return camera.recordUrl ?? camera.sourceUrl;
}

function onvifRecordingUri(info: unknown): string | null {
  if (typeof info !== "object" || info === null || !("recordingProfile" in info)) return null;
  const profile = info.recordingProfile;
  if (typeof profile !== "object" || profile === null || !("streamUri" in profile)) return null;
  const uri = profile.streamUri;
  if (typeof uri !== "string") return null;
  try {
    return splitCredentials(validateSourceUrl(uri, { field: "streamUri" }).href).url;
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}
