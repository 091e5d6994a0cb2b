/**
 * What Vigil keeps of an onboarded ONVIF camera (the `onvif` column of its row) and the capture
 * source derived from it. Pure functions: onboarding result in, storable data out.
 *
 * Stored: everything onboarding learnt (device and media URLs, endpoint address, device
 * information, clock offset, profiles and URIs, the chosen profiles) minus anything secret — a
 * camera may embed `user:password@` in the URIs it reports, so every URL loses its userinfo.
 * The camera's password is kept apart, sealed, like an `rtspUrl` password.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { splitCredentials, validateSourceUrl } from "../media/rtsp_url.ts";
import type { OnvifCameraInfo, OnvifProfile } from "./client.ts";
import { OnvifError } from "./onvif_error.ts";

/**
 * The part of the stored info needed to recognise a camera that moved (see `movedCameraXaddr`
 * and move_checks.ts).
 */
export interface StoredOnvifIdentity {
  /** `urn:uuid:...`, when the camera reported one. */
  endpointAddress: string | undefined;
  /** The device service URL onboarding used. */
  deviceUrl: string;
  /** The MAC confirmed at onboarding (see `OnvifCameraInfo.macAddress`). */
  macAddress: string | undefined;
  /** From GetDeviceInformation; `""` when the camera reported none. */
  serialNumber: string;
  /** From GetDeviceInformation; `""` when the camera reported none. */
  hardwareId: string;
}

/**
 * The onboarding result as stored with the camera: the same shape, every URL without userinfo.
 *
 * @param info from `onboardOnvifCamera`
 * @returns a plain JSON copy without secrets
 * @example
 * ```ts
 * storedOnvifInfo(info).analysisProfile.streamUri; // "rtsp://10.0.0.5:554/sub" (no "user:pw@")
 * ```
 */
export function storedOnvifInfo(info: OnvifCameraInfo): OnvifCameraInfo {
  const profile = (p: OnvifProfile): OnvifProfile => ({
    ...p,
    streamUri: withoutUserinfo(p.streamUri),
    snapshotUri: p.snapshotUri === undefined ? undefined : withoutUserinfo(p.snapshotUri),
  });
  return {
    ...info,
    deviceUrl: withoutUserinfo(info.deviceUrl),
    mediaUrl: withoutUserinfo(info.mediaUrl),
    deviceInfo: { ...info.deviceInfo },
    profiles: info.profiles.map(profile),
    recordingProfile: profile(info.recordingProfile),
    analysisProfile: profile(info.analysisProfile),
  };
}

/**
 * The source (`rtspUrl`, the relay's `/cam/<id>`) of an onboarded camera: the recording profile's
 * stream URI, checked like any `rtspUrl`, without credentials (the ONVIF credentials are stored
 * apart and added by the fleet). Analysis reads the analysis profile through the hub's `sub`
 * stream (models/media/analysis_source.ts); live, recording and the relay keep the main stream.
 *
 * @param info from `onboardOnvifCamera`
 * @returns the bare source URL
 * @throws {OnvifError} `onvif_unsupported` when the camera's URI is not a usable RTSP URL
 * @example
 * ```ts
 * onvifSourceUrl(info); // "rtsp://10.0.0.5:554/main"
 * ```
 */
export function onvifSourceUrl(info: OnvifCameraInfo): string {
  const uri = info.recordingProfile.streamUri;
  try {
    return splitCredentials(validateSourceUrl(uri, { field: "streamUri" }).href).url;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new OnvifError(
      "onvif_unsupported",
      `onvif: the stream URI of profile ${JSON.stringify(info.recordingProfile.token)} ` +
        `is not usable: ${error.message}`,
      { cause: error },
    );
  }
}

/**
 * Reads the identity part of a stored `onvif` column, which is untyped JSON from the database.
 *
 * @param value the column (`Camera.onvif`)
 * @returns endpoint address, device URL, MAC, serial number and hardware id, or undefined for a
 *   camera not onboarded over ONVIF
 * @example
 * ```ts
 * readOnvifIdentity(camera.onvif)?.endpointAddress; // "urn:uuid:..."
 * ```
 */
export function readOnvifIdentity(value: unknown): StoredOnvifIdentity | undefined {
  const text = (from: unknown, key: string) =>
    typeof from === "object" && from !== null && key in from &&
      typeof (from as Record<string, unknown>)[key] === "string"
      ? (from as Record<string, string>)[key]
      : undefined;
  const deviceUrl = text(value, "deviceUrl");
  if (deviceUrl === undefined || !URL.canParse(deviceUrl)) return undefined;
  const deviceInfo = typeof value === "object" && value !== null && "deviceInfo" in value
    ? value.deviceInfo
    : undefined;
  return {
    deviceUrl,
    endpointAddress: text(value, "endpointAddress"),
    macAddress: text(value, "macAddress"),
    serialNumber: text(deviceInfo, "serialNumber") ?? "",
    hardwareId: text(deviceInfo, "hardwareId") ?? "",
  };
}

function withoutUserinfo(raw: string): string {
  if (!URL.canParse(raw)) return raw;
  const url = new URL(raw);
  if (url.username === "" && url.password === "") return raw;
  url.username = "";
  url.password = "";
  return url.href;
}

/** What PTZ and event calls need from a stored `onvif` column. */
export interface StoredOnvifAccess {
  deviceUrl: string;
  /** The recording (main) profile: the one PTZ moves are addressed to. */
  profileToken: string;
  /** The clock offset measured at onboarding. */
  timeOffsetMs: number;
}

/**
 * Reads what PTZ and event calls need from a stored `onvif` column (untyped JSON).
 *
 * @param value the column (`Camera.onvif`)
 * @returns device URL, profile token and clock offset, or undefined for a camera not onboarded
 *   over ONVIF
 * @example
 * ```ts
 * readOnvifAccess(camera.onvif)?.profileToken; // "main"
 * ```
 */
export function readOnvifAccess(value: unknown): StoredOnvifAccess | undefined {
  const identity = readOnvifIdentity(value);
  if (!identity) return undefined;
  const info = value as { recordingProfile?: { token?: unknown }; timeOffsetMs?: unknown };
  const profileToken = info.recordingProfile?.token;
  if (typeof profileToken !== "string" || profileToken === "") return undefined;
  const offset = info.timeOffsetMs;
  return {
    deviceUrl: identity.deviceUrl,
    profileToken,
    timeOffsetMs: typeof offset === "number" && Number.isFinite(offset) ? offset : 0,
  };
}
