/**
 * What ffprobe's JSON says: of a finished file (a segment's check, a clip's duration), of a source
 * (which codecs the recorder will receive), of a live stream (codec and size, to plan a
 * transcode). Pure parsing; actors/process/ffprobe.ts runs ffprobe.
 *
 * @module
 */
import type { ProbedStream } from "./quality.ts";

/** What ffprobe says of a finished MP4. */
export interface FileProbe {
  /** Container duration in ms. */
  durationMs: number;
  /** The first video stream, or null. */
  video: { codec: string; width: number; height: number } | null;
  /** Whether the first video packet is a keyframe. */
  startsWithKeyframe: boolean;
}

/** What ffprobe says of a source. */
export interface SourceProbe {
  /** The first video stream's codec, or null. */
  video: string | null;
  /** The first audio stream's codec, or null without audio. */
  audio: string | null;
}

interface ProbeJson {
  format?: { duration?: string };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
  packets?: { flags?: string }[];
}

/**
 * Reads the JSON of `fileProbeArgs` (segment_args.ts).
 *
 * @param json ffprobe's stdout
 * @returns duration, video stream, first-packet keyframe flag
 * @throws {Error} when the JSON is not ffprobe's
 */
export function parseFileProbe(json: string): FileProbe {
  const data: ProbeJson = JSON.parse(json);
  const duration = Number(data.format?.duration);
  const stream = data.streams?.[0];
  const video = stream?.codec_name && stream.width && stream.height
    ? { codec: stream.codec_name, width: stream.width, height: stream.height }
    : null;
  return {
    durationMs: Number.isFinite(duration) ? Math.round(duration * 1000) : 0,
    video,
    startsWithKeyframe: data.packets?.[0]?.flags?.startsWith("K") ?? false,
  };
}

/**
 * Reads the JSON of `sourceProbeArgs` (segment_args.ts).
 *
 * @param json ffprobe's stdout
 * @returns the first video and audio codecs
 */
export function parseSourceProbe(json: string): SourceProbe {
  const data: ProbeJson = JSON.parse(json);
  const first = (type: string) =>
    data.streams?.find((s) => s.codec_type === type)?.codec_name ?? null;
  return { video: first("video"), audio: first("audio") };
}

/**
 * The codec of the first stream in the JSON (a probe that selected one stream, e.g. `a:0`).
 *
 * @param json ffprobe's stdout
 * @returns the codec, or null when there is no stream
 * @throws {SyntaxError} when the output is not JSON
 */
export function parseFirstCodec(json: string): string | null {
  const data: ProbeJson = JSON.parse(json);
  return data.streams?.[0]?.codec_name ?? null;
}

/**
 * Reads the JSON of `probeArgs` (live_args.ts): the first video stream.
 *
 * @param json ffprobe's stdout
 * @returns codec and size, or null when the output does not describe a video stream
 * @example
 * ```ts
 * parseStreamProbe('{"streams":[{"codec_name":"h264","width":640,"height":360}]}');
 * // { codec: "h264", width: 640, height: 360 }
 * ```
 */
export function parseStreamProbe(json: string): ProbedStream | null {
  let stream: { codec_name?: unknown; width?: unknown; height?: unknown } | undefined;
  try {
    stream = JSON.parse(json)?.streams?.[0];
  } catch {
    return null;
  }
  const { codec_name: codec, width, height } = stream ?? {};
  if (typeof codec !== "string" || typeof width !== "number" || typeof height !== "number") {
    return null;
  }
  return { codec, width, height };
}
