/**
 * Every ffprobe the server runs: a finished file (a segment's check, a clip's duration, the audio
 * a crashed run recorded), a source (the codecs the recorder will receive) and a live stream (codec
 * and size, to plan a transcode). Arguments come from models/media (segment_args.ts,
 * live_args.ts), the parsing from models/media/probe_output.ts; each probe has a time limit.
 *
 * @module
 */
import { UnavailableError } from "../../models/errors.ts";
import type { SourceOptions } from "../../models/media/ffmpeg_args.ts";
import { probeArgs } from "../../models/media/live_args.ts";
import {
  type FileProbe,
  parseFileProbe,
  parseFirstCodec,
  parseSourceProbe,
  parseStreamProbe,
  type SourceProbe,
} from "../../models/media/probe_output.ts";
import type { ProbedStream } from "../../models/media/quality.ts";
import { fileProbeArgs, sourceProbeArgs } from "../../models/media/segment_args.ts";
import { runProcess } from "./run.ts";

/** How long a file or source probe may take by default. */
export const FILE_PROBE_TIMEOUT_MS = 15_000;
/** How long a live stream probe may take: RTSP connect, DESCRIBE and a few packets. */
export const PROBE_TIMEOUT_MS = 8000;

/**
 * Probes a finished file.
 *
 * @param path absolute path
 * @param timeoutMs time limit
 * @returns what ffprobe saw
 * @throws {Error} when ffprobe fails or times out (the file is unreadable)
 */
export async function probeFile(
  path: string,
  timeoutMs = FILE_PROBE_TIMEOUT_MS,
): Promise<FileProbe> {
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
  return parseFirstCodec(await runProbe(args, FILE_PROBE_TIMEOUT_MS));
}

/**
 * Probes a source's streams.
 *
 * @param source URL, transport, timeout
 * @param timeoutMs time limit for the whole probe
 * @returns the codecs
 * @throws {Error} when the source cannot be read in time
 */
export async function probeSource(
  source: SourceOptions,
  timeoutMs = FILE_PROBE_TIMEOUT_MS,
): Promise<SourceProbe> {
  return parseSourceProbe(await runProbe(sourceProbeArgs(source), timeoutMs));
}

/**
 * Probes a live stream, so a live plan knows whether it can copy the stream and how far to scale.
 *
 * @param source the stream (validated by the argument builder)
 * @param timeoutMs give up after this long
 * @returns codec and size of the first video stream
 * @throws {ValidationError} for a bad source URL
 * @throws {UnavailableError} when the stream cannot be read or has no video
 * @example
 * ```ts
 * await probeStream({ url: "rtsp://127.0.0.1:8554/cam" }); // { codec: "h264", width: 1920, height: 1080 }
 * ```
 */
export async function probeStream(
  source: SourceOptions,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<ProbedStream> {
  const out = await runProcess("ffprobe", { args: probeArgs(source), timeoutMs });
  const why = out.lastStderrLine;
  if (!out.status.success) {
    throw new UnavailableError(
      `live: the camera stream cannot be read${why ? `: ${why}` : " (timed out)"}`,
    );
  }
  const stream = parseStreamProbe(new TextDecoder().decode(out.stdout));
  if (!stream) {
    throw new UnavailableError("live: the camera stream has no video ffprobe can describe");
  }
  return stream;
}

async function runProbe(args: string[], timeoutMs: number): Promise<string> {
  const out = await runProcess("ffprobe", { args, timeoutMs });
  if (!out.status.success) {
    // The error line may quote the source URL: the tail is redacted.
    const shown = out.lastStderrLine ? `: ${out.lastStderrLine}` : "";
    throw new Error(`ffprobe failed (${out.status.signal ?? out.status.code})${shown}`);
  }
  return new TextDecoder().decode(out.stdout);
}
