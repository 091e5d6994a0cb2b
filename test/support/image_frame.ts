/**
 * Reads one rgb24 {@linkcode Frame} from an image or video file with ffprobe + ffmpeg, for the
 * detector tests (the server never does: capture streams frames).
 *
 * @module
 */
import type { Frame } from "../../models/detectors/types.ts";
import { runProcess } from "../../actors/process/run.ts";

/** Which frame to read. */
export interface ReadFrameOptions {
  /** Seek to this time (seconds) in a video first. */
  seekSeconds?: number;
}

async function run(cmd: string, args: string[]): Promise<Uint8Array> {
  const out = await runProcess(cmd, { args });
  if (!out.status.success) {
    throw new Error(`${cmd}: exit ${out.status.code}: ${out.lastStderrLine}`);
  }
  return out.stdout;
}

/**
 * Decodes one frame of an image or video file to rgb24.
 *
 * @param path image (PNG, JPEG...) or video file
 * @param options which frame
 * @returns the frame at the file's own size
 * @throws {Error} if ffprobe/ffmpeg fail (missing file, not media)
 * @example
 * ```ts
 * const frame = await readFrame("assets/media/vtest.avi", { seekSeconds: 3 });
 * ```
 */
export async function readFrame(path: string, options: ReadFrameOptions = {}): Promise<Frame> {
  const probe = new TextDecoder().decode(
    await run("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=width,height",
      "-of",
      "csv=p=0",
      path,
    ]),
  );
  const [width = 0, height = 0] = probe.trim().split(",").map(Number);
  const seek = options.seekSeconds ? ["-ss", String(options.seekSeconds)] : [];
  const data = await run("ffmpeg", [
    "-v",
    "error",
    ...seek,
    "-i",
    path,
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-",
  ]);
  if (data.length !== width * height * 3) {
    throw new Error(`ffmpeg: expected ${width * height * 3} bytes of ${path}, got ${data.length}`);
  }
  return { width, height, data };
}
