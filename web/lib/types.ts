/**
 * The console's names for the API's shapes. Each is a schema of the API document, taken from
 * api.gen.ts (generated from `GET /api/openapi.json` by `deno task api-types`), so a change to a
 * route's schema reaches the console's type check instead of drifting past it. Only what the
 * console adds of its own is written here.
 *
 * @module
 */
import type { components } from "./api.gen.ts";

/** A component schema of the API document, by name. */
type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** `{"error":{"code","message"}}`: every error reply. */
export type ErrorReply = Schema<"Error">;
/** `GET /api/health`. */
export type Health = Schema<"Health">;
/** A box sharing the database (`GET /api/boxes`). */
export type Box = Schema<"Box">;

/**
 * The size and codec of a camera's stream. The camera's `state` carries it, though the document
 * does not declare it yet: the console reads it as optional.
 */
export interface StreamInfo {
  codec?: string;
  width?: number;
  height?: number;
}
/** A camera as `GET /api/cameras` shows it. */
export type Camera = Schema<"Camera"> & { state: { info?: StreamInfo | null } };
/** A camera's live state. */
export type CameraState = Camera["state"];
/** A claim by a device at another address to be this camera. */
export type SuspectedMove = Schema<"SuspectedMove">;
/** One of a camera's paths on the RTSP relay. */
export type HubPath = Schema<"HubPath">;
/** `POST /api/cameras`. */
export type NewCamera = Schema<"NewCamera">;
/** `PATCH /api/cameras/:id`. */
export type CameraPatch = Schema<"CameraPatch">;
/** `POST /api/cameras/:id/capture`. */
export type CaptureRequest = Schema<"CaptureRequest">;
/** A page of cameras. */
export type CameraPage = Schema<"CameraPage">;

/** A point, normalized 0..1. */
export type Point = Schema<"Point">;
/** A closed polygon of normalized points. */
export type Polygon = Schema<"Polygon">;
/** A named zone. */
export type Zone = Schema<"Zone">;
/** A mask. */
export type Mask = Schema<"Mask">;
/** A tripwire. */
export type Line = Schema<"CrossingLine">;
/** When detections become events. */
export type EventRules = Schema<"EventRules">;
/** Where events are posted. */
export type Webhook = Schema<"Webhook">;
/** Analytics settings as stored. */
export type AnalyticsSettings = Schema<"AnalyticsSettings">;
/** `PUT /api/cameras/:id/analytics` (omitted fields take their defaults). */
export type AnalyticsSettingsInput = Schema<"AnalyticsSettingsInput">;
/** `GET /api/cameras/:id/analytics`. */
export type AttachedAnalytics = Schema<"AttachedAnalytics">;
/** The live numbers of a camera's analysis; null while it does not run. */
export type AnalysisStats = Schema<"AnalysisStats">;

/** An event. */
export type VigilEvent = Schema<"Event">;
/** A page of events. */
export type EventPage = Schema<"EventPage">;
/** Whether an event's clip outlives retention. */
export type EventKeep = Schema<"EventKeep">;
/** One per-frame detection. */
export type Detection = Schema<"Detection">;
/** A page of detections. */
export type DetectionPage = Schema<"DetectionPage">;

/** `GET /api/cameras/:id/recording`. */
export type Recording = Schema<"Recording">;
/** How a camera records. */
export type RecordingSettings = Schema<"RecordingSettings">;
/** `PUT /api/cameras/:id/recording`. */
export type RecordingSettingsInput = Schema<"RecordingSettingsInput">;
/** The recorder's live numbers while it runs. */
export type RecorderLive = Schema<"RecorderLive">;
/** `GET /api/cameras/:id/recordings?from=&to=`. */
export type Timeline = Schema<"Timeline">;
/** A time span (ISO 8601). */
export type Span = Timeline["intervals"][number];
/** A compiled clip (`POST /api/records`). */
export type ClipRecord = Schema<"Record">;
/** `POST /api/records`. */
export type CompileRequest = Schema<"CompileRequest">;
/** A page of clips. */
export type RecordPage = Schema<"RecordPage">;
/** `GET /api/records/:id/verify`. */
export type Verification = Schema<"RecordVerification">;

/** A token as listed (never with its secret). */
export type TokenInfo = Schema<"Token">;
/** A token's role. */
export type Role = TokenInfo["role"];
/** `GET /api/me`: the signed-in token's name, role and cameras. */
export type Me = Schema<"Me">;
/** `POST /api/tokens`. */
export type NewToken = Schema<"NewToken">;
/** The reply of `POST /api/tokens`: the only time the secret is shown. */
export type CreatedToken = Schema<"CreatedToken">;
/** A page of tokens. */
export type TokenPage = Schema<"TokenPage">;

/** A device found by WS-Discovery. */
export type Device = Schema<"DiscoveredDevice">;
/** A page of devices. */
export type DevicePage = Schema<"DevicePage">;
/** `POST /api/discovery/scan`. */
export type ScanRequest = Schema<"ScanRequest">;
/** What a scan found. */
export type ScanReply = Schema<"ScanReply">;
/** `POST /api/discovery/:id/adopt`. */
export type AdoptRequest = Schema<"AdoptRequest">;

/** A live session (`POST /api/live`). */
export type LiveSession = Schema<"LiveSession">;
/** `POST /api/live`. */
export type LiveRequest = Schema<"LiveRequest">;
/** `PUT /api/live/:id` (manageQuality). */
export type LiveQuality = Schema<"LiveQuality">;
/** `GET /api/live`. */
export type LiveSessionList = Schema<"LiveSessionList">;
/** A signed URL of a camera on the RTSP relay. */
export type RelayUrl = Schema<"RelayUrl">;
/** `GET /api/dispatch/:camera`: which box owns a camera and how to open it live. */
export type Dispatch = Schema<"Dispatch">;

/** Qualities of a live session in the picker's order (`source` is stream copy; `sub` the ONVIF sub-stream). */
export const QUALITIES = [
  "source",
  "sub",
  "1080p",
  "720p",
  "480p",
  "360p",
] as const satisfies readonly LiveQuality["quality"][];
/** A camera's PTZ: presets, limits, home, position (`GET /api/cameras/{id}/ptz`). */
export type Ptz = Schema<"Ptz">;
/** One PTZ action (`POST /api/cameras/{id}/ptz`). */
export type PtzAction = Schema<"PtzAction">;
/** Which stream a camera's analysis decodes (`analysis` of a camera). */
export type AnalysisStream = Schema<"AnalysisStream">;
/** One stored PTZ preset of a camera. */
export type PtzPreset = Schema<"PtzPreset">;
/** The camera's own ONVIF events: settings and state (`GET /api/cameras/{id}/onvif-events`). */
export type OnvifEvents = Schema<"OnvifEvents">;
/** `PUT /api/cameras/{id}/onvif-events`. */
export type OnvifEventsInput = Schema<"OnvifEventsInput">;
/** Detections per label per time bucket (`GET /api/detections/counts`). */
export type DetectionCounts = Schema<"DetectionCounts">;
/** The boxes sharing the database (`GET /api/boxes`). */
export type BoxList = Schema<"BoxList">;
