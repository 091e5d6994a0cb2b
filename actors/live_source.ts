/**
 * Where live transcoders read a camera from. The seam is {@linkcode LiveSource}: given a camera
 * and which of its streams, an RTSP URL to read and a release to call when done. The stream hub
 * implements it with its relay (one connection per camera stream, shared by every consumer);
 * {@linkcode directSource} reads the camera itself, for a box without the hub.
 *
 * @module
 */
import type { Camera } from "../models/store/cameras.ts";
import { getSealedPassword } from "../models/store/cameras.ts";
import type { Database } from "../models/store/database.ts";
import type { SecretBox } from "../models/secret_box.ts";
import type { RtspTransport } from "../models/media/ffmpeg_args.ts";
import { withCredentials } from "../models/media/rtsp_url.ts";
import type { CameraStream } from "../models/media/quality.ts";

/** A stream a transcoder may read until it calls `release`. */
export interface AcquiredSource {
  /** RTSP URL, credentials included. */
  url: string;
  transport?: RtspTransport;
  /** The transcoder is done with it. */
  release(): void;
}

/** Gives transcoders a camera stream to read. */
export type LiveSource = (
  camera: Camera,
  stream: CameraStream,
  consumer: string,
) => Promise<AcquiredSource>;

/**
 * The URL of one of a camera's streams: ONVIF cameras name their main (recording) and sub
 * (analysis) profiles' URIs; any other camera has its one source URL.
 *
 * @param camera the camera row
 * @param stream main or sub
 * @returns the bare URL (no credentials)
 */
export function streamUrl(camera: Camera, stream: CameraStream): string {
  const onvif = camera.onvif as Record<string, { streamUri?: unknown } | undefined> | undefined;
  const profile = onvif?.[stream === "main" ? "recordingProfile" : "analysisProfile"];
  return typeof profile?.streamUri === "string" ? profile.streamUri : camera.sourceUrl;
}

/**
 * A source that pulls the camera directly (one more connection per transcoder).
 *
 * @param deps the database (sealed passwords) and the key that opens them
 * @returns the source
 */
export function directSource(deps: { db: Database; secrets: SecretBox }): LiveSource {
  return async (camera, stream) => {
    const sealed = await getSealedPassword(deps.db.sql, camera.id);
    const password = sealed ? await deps.secrets.open(sealed) : undefined;
    return {
      url: withCredentials(streamUrl(camera, stream), { username: camera.username, password }),
      transport: camera.transport,
      release: () => {},
    };
  };
}
