/**
 * Asks ffprobe what a stream carries (codec and size of its first video stream), so a live plan
 * knows whether it can copy the stream and how far to scale it.
 *
 * @module
 */
import { UnavailableError } from "../errors.ts";
import { redact } from "../log.ts";
import type { SourceOptions } from "./ffmpeg_args.ts";
import { probeArgs } from "./live_args.ts";
import type { ProbedStream } from "./quality.ts";

/** How long a probe may take: RTSP connect, DESCRIBE and a few packets. */
export const PROBE_TIMEOUT_MS = 8000;

/**
 * Probes a stream.
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
  const child = new Deno.Command("ffprobe", {
    args: probeArgs(source),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already done
    }
  }, timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
  if (!out.success) {
    throw new UnavailableError(
      `live: the camera stream cannot be read${why ? `: ${String(redact(why))}` : " (timed out)"}`,
    );
  }
  let stream: { codec_name?: unknown; width?: unknown; height?: unknown } | undefined;
  try {
    stream = JSON.parse(new TextDecoder().decode(out.stdout))?.streams?.[0];
  } catch {
    stream = undefined;
  }
  const { codec_name: codec, width, height } = stream ?? {};
  if (typeof codec !== "string" || typeof width !== "number" || typeof height !== "number") {
    throw new UnavailableError("live: the camera stream has no video ffprobe can describe");
  }
  return { codec, width, height };
}
