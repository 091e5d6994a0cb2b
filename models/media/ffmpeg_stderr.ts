/**
 * Reads ffmpeg's stderr (run with `-loglevel level+…`, so every line carries `[info]`, `[error]`…):
 * the input stream's codec, resolution and frame rate, and the last meaningful error.
 *
 * @module
 */

import { redact } from "../log.ts";

/** What ffmpeg reported about the input video stream. Fields are `null` when not reported. */
export interface StreamInfo {
  /** Codec name as ffmpeg prints it (`"h264"`, `"hevc"`, `"mjpeg"`). */
  codec: string | null;
  /** Coded width of the source in pixels. */
  width: number | null;
  /** Coded height of the source in pixels. */
  height: number | null;
  /** Nominal frame rate of the source (`fps`, else `tbr`). */
  fps: number | null;
}

/** One classified stderr line. */
export type StderrLine =
  | { kind: "section"; section: "input" | "output" }
  | { kind: "video"; info: StreamInfo }
  | { kind: "error"; message: string }
  | { kind: "other" };

const LEVEL = /^(?:\[(?<ctx>[^\]]*@ 0x[0-9a-f]+)\] )?\[(?<level>[a-z]+)\] ?(?<text>.*)$/;
// Decoder complaints about damaged frames are noise: discardcorrupt drops those frames anyway.
const DECODER_CONTEXTS = /^(h264|hevc|h265|mpeg4|mjpeg|vp8|vp9|av1|mpeg2video|rawvideo) @/;

/**
 * Classifies one stderr line.
 *
 * @param line one line without its newline
 * @returns what the line says
 * @example
 * ```ts
 * parseStderrLine("[info]   Stream #0:0: Video: h264 (High), yuv420p(progressive), 768x576, 25 fps");
 * // { kind: "video", info: { codec: "h264", width: 768, height: 576, fps: 25 } }
 * ```
 */
export function parseStderrLine(line: string): StderrLine {
  const m = LEVEL.exec(line);
  const level = m?.groups?.level ?? "info";
  const ctx = m?.groups?.ctx;
  const text = (m?.groups?.text ?? line).trim();
  if (level === "error" || level === "fatal" || level === "panic") {
    if (ctx !== undefined && DECODER_CONTEXTS.test(ctx)) return { kind: "other" };
    // Error lines often quote the input URL; never let its password travel further.
    return { kind: "error", message: String(redact(text)) };
  }
  if (/^Input #\d+,/.test(text)) return { kind: "section", section: "input" };
  if (/^Output #\d+,/.test(text)) return { kind: "section", section: "output" };
  const info = parseVideoStream(text);
  return info ? { kind: "video", info } : { kind: "other" };
}

/**
 * Parses a `Stream #0:0: Video: …` description.
 *
 * @param text the line without its level tag
 * @returns the stream info, or `null` when the line is not a video stream line
 * @example
 * ```ts
 * parseVideoStream("Stream #0:0: Video: hevc (Main), yuv420p(tv), 1920x1080, 15 fps, 15 tbr");
 * // { codec: "hevc", width: 1920, height: 1080, fps: 15 }
 * ```
 */
export function parseVideoStream(text: string): StreamInfo | null {
  const m = /Stream #\d+:\d+[^:]*: Video: (?<rest>.*)$/.exec(text);
  const rest = m?.groups?.rest;
  if (rest === undefined) return null;
  const codec = /^([A-Za-z0-9_]+)/.exec(rest)?.[1] ?? null;
  const size = /,\s(\d+)x(\d+)/.exec(rest);
  const fps = /,\s([\d.]+)(k?) fps/.exec(rest) ?? /,\s([\d.]+)(k?) tbr/.exec(rest);
  return {
    codec,
    width: size ? Number(size[1]) : null,
    height: size ? Number(size[2]) : null,
    fps: fps ? Number(fps[1]) * (fps[2] === "k" ? 1000 : 1) : null,
  };
}

/**
 * Accumulates stderr lines of one ffmpeg run: keeps the INPUT video stream's info (output streams
 * are described with the same syntax, so sections matter) and the last error.
 *
 * @example
 * ```ts
 * const p = new StderrParser();
 * p.push("[info] Input #0, rtsp, from 'rtsp://cam/s':");
 * p.push("[info]   Stream #0:0: Video: h264 (High), yuv420p, 640x360, 25 fps, 25 tbr");
 * p.info; // { codec: "h264", width: 640, height: 360, fps: 25 }
 * ```
 */
export class StderrParser {
  /** The input video stream, once reported. */
  info: StreamInfo | null = null;
  /** The last error line (without level tag), if any. */
  lastError: string | null = null;
  #section: "input" | "output" | null = null;

  /**
   * Feeds one line.
   *
   * @param line one stderr line
   * @returns the classification of the line
   */
  push(line: string): StderrLine {
    const parsed = parseStderrLine(line);
    if (parsed.kind === "section") this.#section = parsed.section;
    else if (parsed.kind === "video" && this.#section === "input" && this.info === null) {
      this.info = parsed.info;
    } else if (parsed.kind === "error") this.lastError = parsed.message;
    return parsed;
  }
}

/**
 * An ffmpeg message without the `[context @ 0x…] ` and `[level] ` tags in front of it, for
 * error messages people read.
 *
 * @param line one stderr line
 * @returns the message
 * @example
 * ```ts
 * withoutLogContext("[rtsp @ 0x55d1] [error] Connection refused"); // "Connection refused"
 * ```
 */
export function withoutLogContext(line: string): string {
  return line.replace(/^(\[[^\]]*\] )+/, "").trim();
}
