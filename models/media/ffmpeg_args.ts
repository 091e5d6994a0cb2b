/**
 * Pure builders of ffmpeg argument arrays for capture, one-shot snapshots, the hub's pullers and
 * JPEG encoding. Every command gets `-protocol_whitelist`, so whatever URL slips through, ffmpeg
 * itself refuses to open `file:` (or any protocol the source type does not need).
 *
 * @module
 */

import { ValidationError } from "../errors.ts";
import { type ExtraScheme, validateSourceUrl } from "./rtsp_url.ts";

/** How RTSP media travels: interleaved in the TCP control connection, or as separate UDP. */
export type RtspTransport = "tcp" | "udp";

/** Default RTSP transport: TCP survives NAT and lossy Wi-Fi; UDP is a per-camera override. */
export const DEFAULT_TRANSPORT: RtspTransport = "tcp";
/** Default socket timeout: without one ffmpeg waits forever on a stalled RTSP source. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** Protocols an RTSP(S) input needs: control over tcp/tls, media over rtp/udp or interleaved. */
export const RTSP_PROTOCOLS = "rtsp,rtsps,rtp,srtp,udp,tcp,tls";
/** Protocols an HTTP(S) input needs. */
export const HTTP_PROTOCOLS = "http,https,tcp,tls,crypto";

/** Flags common to every command: no stdin, plain stderr with a level tag on each line. */
export const BASE_FLAGS = ["-nostdin", "-hide_banner", "-nostats"] as const;

/** Where and how to pull a source. */
export interface SourceOptions {
  /** Source URL, credentials included. Validated here. */
  url: string;
  /** RTSP transport. Default {@linkcode DEFAULT_TRANSPORT}. */
  transport?: RtspTransport;
  /** Socket/IO timeout in ms. Default {@linkcode DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Non-RTSP schemes allowed for this source (never `file`). */
  allowSchemes?: readonly ExtraScheme[];
}

/** Options for {@linkcode captureArgs}. */
export interface CaptureArgsOptions extends SourceOptions {
  /** Analysis frame width in pixels. */
  width: number;
  /** Analysis frame height in pixels. */
  height: number;
  /** Frames per second delivered on stdout. */
  fps: number;
}

/**
 * Builds the capture command: pull the source, decode (without the deblocking filter), resample
 * to `fps`, scale to `width`x`height`, and write raw rgb24 frames (`width * height * 3` bytes
 * each) to stdout.
 *
 * @param options source and analysis size
 * @returns ffmpeg arguments (without the program name)
 * @throws {ValidationError} for a bad URL, size, fps, transport or timeout
 * @example
 * ```ts
 * captureArgs({ url: "rtsp://cam/s", width: 640, height: 360, fps: 5 });
 * // ["-nostdin", ..., "-i", "rtsp://cam/s", ..., "-f", "rawvideo", "pipe:1"]
 * ```
 */
export function captureArgs(options: CaptureArgsOptions): string[] {
  checkInt("width", options.width, 16, 7680);
  checkInt("height", options.height, 16, 4320);
  checkNumber("fps", options.fps, 0.1, 60);
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+info",
    // One decoding and one filtering thread: a camera's analysis stream needs no more, and each
    // extra thread holds its own frames (measured: 20.2 → 15.4 MB private memory per capture of a
    // 640x360 H.264 stream, 10 → 3 threads).
    "-filter_threads",
    "1",
    "-threads",
    "1",
    // The decoder skips H.264/H.265's deblocking filter: most of a large main stream's cost is
    // decoding every frame (P-frames cannot be skipped), and the loop filter is ~12% of it
    // (1080p: 3.64 → 3.20 s of CPU for 30 s). Analysis frames come out at 50 dB PSNR against
    // the filtered decode (min 40-46 dB), for 1080p and 360p sources alike
    // (docs/decisions/analysis-substream.md). Recording and live never decode with it.
    "-skip_loop_filter",
    "all",
    ...inputArgs(options),
    "-an",
    "-sn",
    "-dn",
    // fps before scale: the frames dropped to reach the analysis rate are never scaled.
    "-vf",
    `fps=${options.fps},scale=${options.width}:${options.height}`,
    "-pix_fmt",
    "rgb24",
    "-f",
    "rawvideo",
    "pipe:1",
  ];
}

/** Options for {@linkcode snapshotArgs}. */
export interface SnapshotArgsOptions extends SourceOptions {
  /** Output width; with `height`, scales the JPEG. Default: the source size. */
  width?: number;
  /** Output height. */
  height?: number;
  /** JPEG quality as ffmpeg's `-q:v` (2 best … 31 worst). Default 3. */
  quality?: number;
}

/**
 * Builds a one-shot snapshot command: pull the source, decode one frame, write one JPEG to stdout.
 *
 * @param options source, optional size and quality
 * @returns ffmpeg arguments
 * @throws {ValidationError} for bad options
 * @example
 * ```ts
 * snapshotArgs({ url: "rtsp://cam/s", timeoutMs: 3000 }); // [..., "-frames:v", "1", ..., "pipe:1"]
 * ```
 */
export function snapshotArgs(options: SnapshotArgsOptions): string[] {
  const quality = options.quality ?? 3;
  checkInt("quality", quality, 2, 31);
  const scale: string[] = [];
  if (options.width !== undefined || options.height !== undefined) {
    checkInt("width", options.width, 16, 7680);
    checkInt("height", options.height, 16, 4320);
    scale.push("-vf", `scale=${options.width}:${options.height}`);
  }
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+error",
    ...inputArgs(options),
    "-an",
    "-sn",
    "-dn",
    "-frames:v",
    "1",
    ...scale,
    ...jpegOutput(quality),
  ];
}

/** Options for {@linkcode pullerArgs}. */
export interface PullerArgsOptions extends SourceOptions {
  /** Where to publish: the relay's `rtsp://user:pass@127.0.0.1:port/path`. */
  output: string;
}

/**
 * Builds the stream hub's puller: pull the camera once and publish its video and audio, stream
 * copied (no decode, no re-encode), to the relay over RTSP/TCP. Data streams (ONVIF metadata) are
 * left out: the RTSP muxer cannot carry them.
 *
 * @param options source (checked like a capture's) and the relay URL
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a bad source or a relay URL that is not rtsp://
 * @example
 * ```ts
 * pullerArgs({ url: "rtsp://cam/s", output: "rtsp://vigil:x@127.0.0.1:8554/cam/1" });
 * // [..., "-i", "rtsp://cam/s", "-map", "0:v", "-map", "0:a?", "-c", "copy", "-f", "rtsp", ...]
 * ```
 */
export function pullerArgs(options: PullerArgsOptions): string[] {
  if (!/^rtsp:\/\/[^\s]+$/.test(options.output)) {
    throw new ValidationError("Invalid 'output': must be an rtsp:// URL", "output");
  }
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+info",
    ...inputArgs(options),
    "-map",
    "0:v",
    "-map",
    "0:a?",
    "-c",
    "copy",
    "-f",
    "rtsp",
    "-rtsp_transport",
    "tcp",
    options.output,
  ];
}

/** Options for {@linkcode encodeJpegArgs}. */
export interface EncodeJpegOptions {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** JPEG quality as `-q:v` (2 best … 31 worst). Default 3. */
  quality?: number;
}

/**
 * Builds the command that turns one raw rgb24 frame on stdin into one JPEG on stdout.
 *
 * @param options frame size and quality
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a bad size or quality
 * @example
 * ```ts
 * encodeJpegArgs({ width: 640, height: 360 }); // [..., "-s", "640x360", "-i", "pipe:0", ...]
 * ```
 */
export function encodeJpegArgs(options: EncodeJpegOptions): string[] {
  const quality = options.quality ?? 3;
  checkInt("width", options.width, 1, 7680);
  checkInt("height", options.height, 1, 4320);
  checkInt("quality", quality, 2, 31);
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+error",
    "-protocol_whitelist",
    "pipe",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    `${options.width}x${options.height}`,
    "-i",
    "pipe:0",
    "-frames:v",
    "1",
    ...jpegOutput(quality),
  ];
}

/**
 * The input part of a command pulling a source: protocol whitelist, RTSP transport and timeout,
 * `-i url`. Shared by capture, snapshots and recording.
 *
 * @param options source URL, transport, timeout, extra schemes
 * @returns the arguments up to and including `-i url`
 * @throws {ValidationError} for a bad URL, transport or timeout
 */
export function inputArgs(options: SourceOptions): string[] {
  const url = validateSourceUrl(options.url, { allowSchemes: options.allowSchemes, field: "url" });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  checkInt("timeoutMs", timeoutMs, 100, 600_000);
  const timeoutUs = String(timeoutMs * 1000);
  const scheme = url.protocol.slice(0, -1);
  if (scheme === "rtsp" || scheme === "rtsps") {
    const transport = options.transport ?? DEFAULT_TRANSPORT;
    if (transport !== "tcp" && transport !== "udp") {
      throw new ValidationError(
        `Invalid 'transport': must be "tcp" or "udp", got ${JSON.stringify(transport)}`,
        "transport",
      );
    }
    return [
      "-protocol_whitelist",
      RTSP_PROTOCOLS,
      "-rtsp_transport",
      transport,
      "-timeout",
      timeoutUs,
      "-fflags",
      "+genpts+discardcorrupt",
      // A few frames are enough to know the rate; the default (20+) delays every (re)connect ~1 s.
      "-fpsprobesize",
      "5",
      "-i",
      options.url,
    ];
  }
  return [
    "-protocol_whitelist",
    HTTP_PROTOCOLS,
    "-rw_timeout",
    timeoutUs,
    "-fflags",
    "+genpts+discardcorrupt",
    "-i",
    options.url,
  ];
}

function jpegOutput(quality: number): string[] {
  // mjpeg wants full-range YUV; yuvj420p is the format every JPEG decoder reads.
  return [
    "-pix_fmt",
    "yuvj420p",
    "-c:v",
    "mjpeg",
    "-q:v",
    String(quality),
    "-f",
    "image2pipe",
    "pipe:1",
  ];
}

/**
 * Throws unless `value` is an integer in [min, max].
 *
 * @throws {ValidationError} naming the option and its value
 */
export function checkInt(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `Invalid '${name}': must be an integer from ${min} to ${max}, got ${String(value)}`,
      name,
    );
  }
}

function checkNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(
      `Invalid '${name}': must be a number from ${min} to ${max}, got ${String(value)}`,
      name,
    );
  }
}
