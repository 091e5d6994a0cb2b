/**
 * Where live transcoders read a camera from: the seam is {@linkcode LiveSource} — given a camera
 * and which of its streams, an RTSP URL to read and a release to call when done. Vigil's stream
 * hub implements it ({@linkcode hubSource}): every transcoder reads the camera's relay path, so
 * the camera sees one connection per stream however many sessions watch it.
 *
 * @module
 */
import type { Camera } from "../../models/store/cameras.ts";
import type { RtspTransport } from "../../models/media/ffmpeg_args.ts";
import type { CameraStream } from "../../models/media/quality.ts";
import type { Hub } from "../stream/hub.ts";

/** A stream a transcoder may read until it calls `release`. */
export interface AcquiredSource {
  /** RTSP URL, credentials included. */
  url: string;
  /** The box's relay path that publishes it, when it is one (a `source` session forwards it). */
  path?: string;
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
 * The hub as a live source: a lease on the camera's `main` or `sub` relay path (a camera without
 * such ONVIF profiles serves its one stream under both names).
 *
 * @param hub the stream hub
 * @returns the source
 * @example
 * ```ts
 * const source = hubSource(relay.hub);
 * const { url, release } = await source(camera, "main", "live:720p");
 * ```
 */
export function hubSource(hub: Pick<Hub, "acquire">): LiveSource {
  return async (camera, stream, consumer) => {
    const lease = await hub.acquire(camera.id, { stream }, consumer);
    // The relay speaks RTP over TCP (interleaved) only.
    return {
      url: lease.readUrl,
      path: lease.path,
      transport: "tcp",
      release: () => lease.release(),
    };
  };
}
