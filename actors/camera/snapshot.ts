/**
 * JPEG snapshots: encode the latest captured frame (cheap, no network), or grab one frame from the
 * source with a timeout when the camera is not capturing.
 *
 * @module
 */

import { UnavailableError } from "../../models/errors.ts";
import {
  DEFAULT_TIMEOUT_MS,
  encodeJpegArgs,
  snapshotArgs,
  type SnapshotArgsOptions,
} from "../../models/media/ffmpeg_args.ts";
import { withoutLogContext } from "../../models/media/ffmpeg_stderr.ts";
import type { CapturedFrame } from "../../models/media/frame_slot.ts";
import { isJpeg } from "../../models/media/jpeg_stream.ts";
import { runProcess } from "../process/run.ts";

/** How long an encode of one frame may take before it is killed. */
export const ENCODE_TIMEOUT_MS = 5000;
/** Extra time a one-shot grab gets beyond its socket timeout (process start, probing, decode). */
export const GRAB_SLACK_MS = 3000;

/** Options for ffmpeg runs of this module. */
export interface JpegOptions {
  /** JPEG quality as `-q:v` (2 best … 31 worst). Default 3. */
  quality?: number;
  /** ffmpeg binary. Default `"ffmpeg"`. */
  ffmpegPath?: string;
}

/**
 * Encodes one rgb24 frame as JPEG with ffmpeg (stdin → stdout).
 *
 * @param frame the frame (width, height, rgb24 data)
 * @param options quality, ffmpeg binary
 * @returns the JPEG bytes
 * @throws {UnavailableError} when ffmpeg fails or takes longer than {@linkcode ENCODE_TIMEOUT_MS}
 * @example
 * ```ts
 * const jpeg = await encodeJpeg(camera.capture.slot.peek()!);
 * ```
 */
export async function encodeJpeg(
  frame: Pick<CapturedFrame, "width" | "height" | "data">,
  options: JpegOptions = {},
): Promise<Uint8Array> {
  if (frame.data.byteLength !== frame.width * frame.height * 3) {
    throw new RangeError(
      `snapshot: frame of ${frame.width}x${frame.height} needs ${
        frame.width * frame.height * 3
      } bytes, got ${frame.data.byteLength}`,
    );
  }
  const args = encodeJpegArgs({ width: frame.width, height: frame.height, ...options });
  return await runJpeg(args, ENCODE_TIMEOUT_MS, options.ffmpegPath, frame.data);
}

/**
 * Grabs one frame from a source URL as JPEG, giving up after `timeoutMs` (socket timeout) plus
 * {@linkcode GRAB_SLACK_MS} overall.
 *
 * @param options source URL (credentials included), transport, timeout, optional size, quality
 * @returns the JPEG bytes
 * @throws {ValidationError} for a bad URL
 * @throws {UnavailableError} when the source does not deliver a frame in time
 * @example
 * ```ts
 * const jpeg = await grabJpeg({ url: "rtsp://cam/s", timeoutMs: 3000 });
 * ```
 */
export async function grabJpeg(options: SnapshotArgsOptions & JpegOptions): Promise<Uint8Array> {
  const args = snapshotArgs(options);
  const timeoutMs = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + GRAB_SLACK_MS;
  return await runJpeg(args, timeoutMs, options.ffmpegPath);
}

/** Options for {@linkcode cameraSnapshot}. */
export interface CameraSnapshotOptions extends SnapshotArgsOptions, JpegOptions {
  /** The camera's latest frame, if it is capturing. */
  latest?: CapturedFrame | null;
  /** Oldest acceptable age of `latest` in ms; older frames are ignored. Default 2000. */
  maxAgeMs?: number;
}

/**
 * A current JPEG of a camera: its latest captured frame when fresh, otherwise a one-shot grab.
 *
 * @param options the latest frame and the source to fall back to
 * @returns the JPEG bytes
 * @throws {UnavailableError} when neither works
 * @example
 * ```ts
 * const jpeg = await cameraSnapshot({ latest: cam.capture.slot.peek(), url: sourceUrl });
 * ```
 */
export async function cameraSnapshot(options: CameraSnapshotOptions): Promise<Uint8Array> {
  const latest = options.latest;
  if (latest && Date.now() - latest.ts <= (options.maxAgeMs ?? 2000)) {
    return await encodeJpeg(latest, options);
  }
  return await grabJpeg(options);
}

async function runJpeg(
  args: string[],
  timeoutMs: number,
  ffmpegPath = "ffmpeg",
  input?: Uint8Array,
): Promise<Uint8Array> {
  const output = await runProcess(ffmpegPath, { args, input, timeoutMs });
  if (output.timedOut) throw new UnavailableError(`snapshot: no frame within ${timeoutMs} ms`);
  const jpeg = output.stdout;
  if (!output.status.success || !isJpeg(jpeg)) {
    const detail = withoutLogContext(output.lastStderrLine);
    throw new UnavailableError(
      `snapshot: ffmpeg failed (exit code ${output.status.code})${detail ? `: ${detail}` : ""}`,
    );
  }
  return jpeg;
}
