/**
 * Which relay path serves which stream of a camera, as pure data. A camera has named streams —
 * `default` (the one it is configured with), `main` (the largest ONVIF profile or the record URL,
 * which recording wants) and `sub` (the analysis stream, which capture decodes:
 * models/media/analysis_source.ts) — served at `/cam/<id>` and
 * `/cam/<id>/<stream>`. Streams with the same source URL share ONE puller: the first of them in
 * the order default, main, sub publishes, and the others' paths are aliases of its path, so a
 * camera that offers one URL is pulled once however many consumers and names it has.
 *
 * @module
 */

import { onCameraHost } from "./camera_stream_url.ts";
import { validPath } from "../rtsp/url.ts";
import { validateSourceUrl, withCredentials } from "./rtsp_url.ts";
import type { RtspTransport } from "./ffmpeg_args.ts";

/** Stream names a camera may have. */
export const STREAM_NAMES = ["default", "main", "sub"] as const;
/** One of {@linkcode STREAM_NAMES}. */
export type StreamName = typeof STREAM_NAMES[number];

/** A camera's source URLs (credentials included); main and sub default to the default one. */
export interface CameraSources {
  default: string;
  main?: string;
  sub?: string;
  /** How the puller reaches the camera. Default TCP. */
  transport?: RtspTransport;
}

/** Where a stream is read and what feeds it. */
export interface PlannedStream {
  /** The camera URL pulled for it. */
  url: string;
  /** The path that publishes it (its own, or that of an earlier stream with the same URL). */
  path: string;
}

/**
 * The relay path of a camera's stream.
 *
 * @param cameraId the camera's id (a path segment: letters, digits, `-`, `_`, `.`)
 * @param stream the stream name
 * @returns `/cam/<id>` for `default`, else `/cam/<id>/<stream>`
 * @throws {RangeError} for an id that cannot be a path segment
 * @example
 * ```ts
 * streamPath("0192f0c1", "main"); // "/cam/0192f0c1/main"
 * ```
 */
export function streamPath(cameraId: string, stream: StreamName = "default"): string {
  const base = `/cam/${cameraId}`;
  if (cameraId.includes("/") || !validPath(base)) {
    throw new RangeError(`hub: camera id ${JSON.stringify(cameraId)} cannot name a path`);
  }
  return stream === "default" ? base : `${base}/${stream}`;
}

/**
 * The camera and stream a relay path names.
 *
 * @param path a request path
 * @returns camera id and stream, or `null` when it is not a camera path
 * @example
 * ```ts
 * parseStreamPath("/cam/0192f0c1/sub"); // { cameraId: "0192f0c1", stream: "sub" }
 * ```
 */
export function parseStreamPath(path: string): { cameraId: string; stream: StreamName } | null {
  const m = /^\/cam\/([A-Za-z0-9._~-]+)(?:\/([a-z]+))?$/.exec(path);
  if (!m) return null;
  const stream = (m[2] ?? "default") as StreamName;
  return STREAM_NAMES.includes(stream) ? { cameraId: m[1]!, stream } : null;
}

/**
 * Plans a camera's streams: each name's URL (main and sub fall back to default) and the path
 * that publishes it (shared by names with the same URL).
 *
 * @param cameraId the camera's id
 * @param sources its URLs
 * @returns one entry per stream name
 * @example
 * ```ts
 * planStreams("c1", { default: "rtsp://cam/1" }).main; // { url: "rtsp://cam/1", path: "/cam/c1" }
 * ```
 */
export function planStreams(
  cameraId: string,
  sources: CameraSources,
): Record<StreamName, PlannedStream> {
  const plan = {} as Record<StreamName, PlannedStream>;
  const byUrl = new Map<string, string>();
  for (const name of STREAM_NAMES) {
    const url = sources[name] ?? sources.default;
    let path = byUrl.get(url);
    if (path === undefined) {
      path = streamPath(cameraId, name);
      byUrl.set(url, path);
    }
    plan[name] = { url, path };
  }
  return plan;
}

/**
 * A camera's sources from what is stored with it: its URL, and for an ONVIF camera the largest
 * profile (main) and the analysis profile (sub) it remembered, each with the camera's credentials.
 *
 * @param sourceUrl the camera's URL with credentials
 * @param onvif the stored `onvif` column (untyped JSON), if any
 * @param credentials the camera's user name and password
 * @param transport how the camera is pulled
 * @returns the sources; ONVIF URIs that are not valid RTSP URLs, or not on the camera's host,
 *   are left out
 * @example
 * ```ts
 * cameraSources("rtsp://u:p@cam/sub", { recordingProfile: { streamUri: "rtsp://cam/main" } },
 *   { username: "u", password: "p" }).main; // "rtsp://u:p@cam/main"
 * ```
 */
export function cameraSources(
  sourceUrl: string,
  onvif: unknown,
  credentials: { username?: string | null; password?: string | null },
  transport?: RtspTransport,
): CameraSources {
  const host = new URL(sourceUrl).hostname;
  const uri = (profile: string) => {
    const p = (onvif as Record<string, { streamUri?: unknown } | undefined> | null)?.[profile];
    if (typeof p?.streamUri !== "string") return undefined;
    // The camera's credentials go only to its own host (onboarding rewrites a profile's host to
    // the address that answered; a stored row is not trusted to have been).
    if (!onCameraHost(p.streamUri, host)) return undefined;
    try {
      validateSourceUrl(p.streamUri, { field: "streamUri" });
      return withCredentials(p.streamUri, credentials);
    } catch {
      return undefined;
    }
  };
  const sources: CameraSources = { default: sourceUrl, transport };
  const main = onvif && typeof onvif === "object" ? uri("recordingProfile") : undefined;
  const sub = onvif && typeof onvif === "object" ? uri("analysisProfile") : undefined;
  if (main) sources.main = main;
  if (sub) sources.sub = sub;
  return sources;
}
