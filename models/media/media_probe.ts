/**
 * ffprobe of a finished file (a segment's check, a clip's duration) and of a source (which codecs
 * the recorder will receive). The parsers are pure; the runners spawn ffprobe with argument
 * arrays and a time limit.
 *
 * @module
 */
import { redact } from "../log.ts";
import type { SourceOptions } from "./ffmpeg_args.ts";
import { fileProbeArgs, sourceProbeArgs } from "./segment_args.ts";

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
 * Reads the JSON of {@linkcode fileProbeArgs}.
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
 * Reads the JSON of {@linkcode sourceProbeArgs}.
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
 * Probes a finished file.
 *
 * @param path absolute path
 * @param timeoutMs time limit (default 15 s)
 * @returns what ffprobe saw
 * @throws {Error} when ffprobe fails or times out (the file is unreadable)
 */
export async function probeFile(path: string, timeoutMs = 15_000): Promise<FileProbe> {
  return parseFileProbe(await runProbe(fileProbeArgs(path), timeoutMs));
}

/**
 * The codec of a file's first audio stream (recovery learns what a crashed run recorded).
 *
 * @param path absolute path
 * @returns the codec, or null without audio
 * @throws {Error} when ffprobe fails
 */
export async function probeFileAudio(path: string): Promise<string | null> {
  const args = fileProbeArgs(path).map((a) => a === "v:0" ? "a:0" : a);
  const data: ProbeJson = JSON.parse(await runProbe(args, 15_000));
  return data.streams?.[0]?.codec_name ?? null;
}

/**
 * Probes a source's streams.
 *
 * @param source URL, transport, timeout
 * @param timeoutMs time limit for the whole probe (default 15 s)
 * @returns the codecs
 * @throws {Error} when the source cannot be read in time
 */
export async function probeSource(source: SourceOptions, timeoutMs = 15_000): Promise<SourceProbe> {
  return parseSourceProbe(await runProbe(sourceProbeArgs(source), timeoutMs));
}

async function runProbe(args: string[], timeoutMs: number): Promise<string> {
  const child = new Deno.Command("ffprobe", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }, timeoutMs);
  try {
    const out = await child.output();
    if (!out.success) {
      const error = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
      // The error line may quote the source URL: never its password.
      const shown = error ? `: ${String(redact(error))}` : "";
      throw new Error(`ffprobe failed (${out.signal ?? out.code})${shown}`);
    }
    return new TextDecoder().decode(out.stdout);
  } finally {
    clearTimeout(timer);
  }
}
