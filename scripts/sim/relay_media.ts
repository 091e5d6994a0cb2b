/**
 * Media for relay tests and benchmarks: a short H.264 clip made once with ffmpeg, an ffmpeg that
 * publishes it in a loop to an RTSP URL without re-encoding (so the publisher costs little CPU
 * and the relay's cost can be seen), and ffmpeg/ffprobe readers that report what they got.
 *
 * @module
 */

import { join } from "node:path";

/** Options of {@linkcode makeClip}. */
export interface ClipOptions {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Frames between keyframes. */
  gop?: number;
  /** Video bitrate, kbit/s. */
  kbps?: number;
  /** Add an AAC audio track. */
  audio?: boolean;
}

/**
 * Encodes a test-pattern clip (H.264, constant bitrate) into `dir`.
 *
 * @param dir a temp dir
 * @param o size, rate, GOP, bitrate, audio
 * @returns the file path
 */
export async function makeClip(dir: string, o: ClipOptions = {}): Promise<string> {
  const fps = o.fps ?? 25;
  const kbps = o.kbps ?? 1500;
  const path = join(dir, `clip-${o.width ?? 640}x${o.height ?? 360}-${fps}-${kbps}.mp4`);
  const args = [
    ...["-nostdin", "-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=${o.width ?? 640}x${o.height ?? 360}:rate=${fps}`],
    ...(o.audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : []),
    ...["-t", String(o.seconds ?? 10), "-pix_fmt", "yuv420p"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", String(o.gop ?? fps)],
    ...["-b:v", `${kbps}k`, "-maxrate", `${kbps}k`, "-bufsize", `${kbps}k`],
    ...(o.audio ? ["-c:a", "aac", "-b:a", "64k"] : []),
    path,
  ];
  const out = await new Deno.Command("ffmpeg", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`makeClip: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

/** A running ffmpeg. */
export interface Proc {
  readonly pid: number;
  /** Stops it (SIGTERM, SIGKILL after 2 s) and awaits its exit. */
  stop(): Promise<void>;
  /** Settles when it exits. */
  readonly status: Promise<Deno.CommandStatus>;
}

/**
 * Publishes a clip in a loop, in real time, without re-encoding.
 *
 * @param url the RTSP URL to publish to (credentials included)
 * @param clip from {@linkcode makeClip}
 * @returns the publisher
 */
export function startPublisher(url: string, clip: string): Proc {
  return spawn([
    ...["-nostdin", "-hide_banner", "-loglevel", "error"],
    ...["-re", "-stream_loop", "-1", "-i", clip, "-map", "0", "-c", "copy"],
    ...["-f", "rtsp", "-rtsp_transport", "tcp", url],
  ]);
}

/**
 * Reads a stream for `seconds` and counts the video frames (packets) it received.
 *
 * @param url the RTSP URL
 * @param seconds how long to read
 * @returns frames received and ffmpeg's exit status
 */
export async function countFrames(
  url: string,
  seconds: number,
): Promise<{ frames: number; success: boolean; stderr: string }> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp"],
      ...["-timeout", "5000000", "-i", url, "-t", String(seconds), "-map", "0:v"],
      ...["-c", "copy", "-f", "null", "-", "-progress", "pipe:1"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const frames = Number([...text.matchAll(/^frame=(\d+)/gm)].pop()?.[1] ?? 0);
  return { frames, success: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * Starts a reader that keeps reading (and discarding) until stopped.
 *
 * @param url the RTSP URL
 * @returns the reader process
 */
export function startReader(url: string): Proc {
  return spawn([
    ...["-nostdin", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp"],
    ...["-timeout", "5000000", "-i", url, "-map", "0", "-c", "copy", "-f", "null", "-"],
  ]);
}

/** What ffprobe says of a stream's video. */
export interface VideoInfo {
  codec: string;
  width: number;
  height: number;
  fps: number;
}

/**
 * Probes the video of an RTSP stream.
 *
 * @param url the RTSP URL
 * @returns codec, size and frame rate, or the ffprobe error
 */
export async function probeStream(url: string): Promise<VideoInfo | string> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      ...[
        "-v",
        "error",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        "20000000",
        "-select_streams",
        "v:0",
      ],
      ...["-show_entries", "stream=codec_name,width,height,r_frame_rate", "-of", "json", url],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) return new TextDecoder().decode(out.stderr).trim();
  const s = JSON.parse(new TextDecoder().decode(out.stdout)).streams?.[0];
  if (!s) return "no video stream";
  const [n, d] = String(s.r_frame_rate).split("/").map(Number);
  return { codec: s.codec_name, width: s.width, height: s.height, fps: (n ?? 0) / (d || 1) };
}

function spawn(args: string[]): Proc {
  const child = new Deno.Command("ffmpeg", { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  return {
    pid: child.pid,
    status: child.status,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // exited already
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
      }, 2000);
      await child.status;
      clearTimeout(timer);
    },
  };
}
