/**
 * The shapes of the API's replies that the console reads (see the README's API section).
 *
 * @module
 */

/** A token's role. */
export type Role = "admin" | "viewer" | "media";

/** A list page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** A camera's state as `GET /api/cameras` shows it. */
export interface CameraState {
  stream: "offline" | "connecting" | "live" | "backoff";
  analytics: "detached" | "attached";
  recording: "idle" | "recording" | "finalizing";
  lastFrameAt: string | null;
  fps: number | null;
  reconnects: number;
  lastError: string | null;
  info: { codec?: string; width?: number; height?: number } | null;
}

/** A camera. */
export interface Camera {
  id: string;
  name: string;
  rtspUrl: string;
  transport: "tcp" | "udp";
  onvif: { model?: string; manufacturer?: string } | null;
  createdAt: string;
  state: CameraState;
}

/** A point, normalized 0..1. */
export type Point = [number, number];

/** A named zone. */
export interface Zone {
  name: string;
  polygon: Point[];
  classes?: string[];
  loiterSeconds?: number;
}

/** A mask. */
export interface Mask {
  polygon: Point[];
}

/** A tripwire. */
export interface Line {
  name: string;
  a: Point;
  b: Point;
  classes?: string[];
}

/** Analytics settings as stored. */
export interface AnalyticsSettings {
  detector: string;
  fps: number;
  classes: string[];
  minScore: number;
  zones: Zone[];
  masks: Mask[];
  lines: Line[];
  rules: Record<string, number>;
  webhook?: { url: string; events: string[] };
}

/** `GET /api/cameras/:id/analytics`. */
export interface AnalyticsReply {
  settings: AnalyticsSettings;
  stats: Record<string, unknown> | null;
}

/** An event. */
export interface VigilEvent {
  id: string;
  camera: string;
  kind: string;
  label: string | null;
  trackId: string | null;
  zone: string | null;
  startedAt: string;
  endedAt: string | null;
  bestScore: number | null;
  hasSnapshot: boolean;
  details: Record<string, unknown>;
}

/** One per-frame detection. */
export interface Detection {
  id: string;
  camera: string;
  ts: string;
  frame: number;
  trackId: string | null;
  label: string;
  score: number;
  box: [number, number, number, number];
}

/** A device found by WS-Discovery. */
export interface Device {
  id: string;
  endpointAddress: string;
  address: string;
  xaddrs: string[];
  name?: string;
  hardware?: string;
  location?: string;
  firstSeen: string;
  lastSeen: string;
  onboarded: boolean;
  cameraId: string | null;
}

/** A token as listed (never with its secret). */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  /** The cameras it may see; null for every camera. */
  cameras: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Qualities of a live session (`source` is stream copy; `sub` the ONVIF sub-stream). */
export const QUALITIES = ["source", "sub", "1080p", "720p", "480p", "360p"] as const;

/** A live session (`POST /api/live`). */
export interface LiveSession {
  id: string;
  camera: string;
  quality: typeof QUALITIES[number];
  served: {
    quality: string;
    mode: "copy" | "encode";
    codec: string;
    width: number;
    height: number;
    bitrateKbps: number | null;
  };
  annotated: boolean;
  state: "starting" | "live" | "reconnecting";
  urls: { hls?: string; mjpeg?: string; rtsp?: string };
  signedUrls: { hls?: string; mjpeg?: string; rtsp?: string };
}

/** A time span (ISO 8601). */
export interface Span {
  from: string;
  to: string;
}

/** `GET /api/cameras/:id/recording`. */
export interface Recording {
  camera: string;
  active: boolean;
  state: "idle" | "recording" | "finalizing";
  settings: {
    mode: "continuous" | "events";
    preRollS: number;
    postRollS: number;
    retainDays: number;
  };
  live:
    | { recorder: string; lastError: string | null; currentSegment: { bytes: number } | null }
    | null;
  today: { bytes: number; segments: number };
}

/** `GET /api/cameras/:id/recordings?from=&to=`. */
export interface Timeline {
  from: string;
  to: string;
  intervals: Span[];
  gaps: Span[];
  segments: number;
  bytes: number;
}

/** A compiled clip (`POST /api/records`). */
export interface ClipRecord {
  id: string;
  camera: string;
  event: string | null;
  from: string;
  to: string;
  state: "queued" | "running" | "done" | "failed";
  progress: number;
  durationS: number | null;
  bytes: number | null;
  sha256: string | null;
  gaps: Span[];
  error: string | null;
}

/** `GET /api/records/:id/verify`. */
export interface Verification {
  sha256: string;
  stored: string;
  matches: boolean;
}
