/**
 * JPEG snapshots: encode the latest captured frame (cheap, no network), or grab one frame from the
 * source with a timeout when the camera is not capturing.
 *
 * @module
 */

import { UnavailableError } from "../errors.ts";
import { redact } from "../log.ts";
import {
  DEFAULT_TIMEOUT_MS,
  encodeJpegArgs,
  snapshotArgs,
  type SnapshotArgsOptions,
} from "./ffmpeg_args.ts";
import type { CapturedFrame } from "./frame_slot.ts";

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
  const child = new Deno.Command(ffmpegPath, {
    args,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, timeoutMs);
  const writing = input ? writeAll(child.stdin, input) : Promise.resolve();
  try {
    const [output] = await Promise.all([child.output(), writing]);
    if (timedOut) throw new UnavailableError(`snapshot: no frame within ${timeoutMs} ms`);
    const jpeg = output.stdout;
    if (!output.success || !isJpeg(jpeg)) {
      const detail = lastLine(new TextDecoder().decode(output.stderr));
      throw new UnavailableError(
        `snapshot: ffmpeg failed (exit code ${output.code})${detail ? `: ${detail}` : ""}`,
      );
    }
    return jpeg;
  } finally {
    clearTimeout(timer);
  }
}

async function writeAll(stdin: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(data);
    await writer.close();
  } catch {
    // ffmpeg died early; its exit status tells why
  }
}

/**
 * Whether bytes look like a complete JPEG: SOI marker at the start, EOI at the end.
 *
 * @param bytes candidate
 * @returns true when both markers are present
 * @example
 * ```ts
 * isJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])); // true
 * ```
 */
export function isJpeg(bytes: Uint8Array): boolean {
  const n = bytes.byteLength;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xd9;
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  const line = (lines[lines.length - 1] ?? "").replace(/^(\[[^\]]*\] )+/, "").trim();
  return String(redact(line));
}
