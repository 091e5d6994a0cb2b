/**
 * Pure builders of the live ffmpeg commands: one shared transcoder per (camera, quality,
 * annotation, delivery) writing an Annex B stream or JPEGs on stdout (a copy, or scale + libx264;
 * annotated = a decoder and an encoder around Deno's drawing), and one `-c copy` process per
 * session that publishes RTSP or cuts HLS, stamping access units with the wall clock. Feeding the
 * session process from Deno keeps its URL across quality switches.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { BASE_FLAGS, checkInt, inputArgs, type SourceOptions } from "./ffmpeg_args.ts";
import type { CopyCodec, LivePlan } from "./quality.ts";

/** Protocols a session process may open: its stdin, and RTSP(S) towards a server. */
export const RELAY_PROTOCOLS = "pipe,rtsp,rtsps,rtp,srtp,udp,tcp,tls";
/** MJPEG sessions are a quick look: this many frames per second are plenty and keep CPU down. */
export const MJPEG_FPS = 10;
/** JPEG quality of MJPEG frames as `-q:v` (2 best … 31 worst). */
export const MJPEG_QUALITY = 5;
/** Seconds between forced keyframes of an H.264 encode: bounds join, switch and HLS segments. */
export const KEYFRAME_INTERVAL_S = 1;
/**
 * Shortest HLS segment. Segments are cut at the first keyframe past this, so each holds one GOP:
 * 1 s for an encoded rung (a keyframe each second), the camera's GOP for a stream copy.
 */
export const SEGMENT_MIN_S = 0.5;

const LOG = ["-loglevel", "level+warning"];
const VIDEO_ONLY = ["-map", "0:v:0", "-an", "-sn", "-dn"];
/** Each picture leaves ffmpeg's output buffer as soon as it is muxed, not when 32 KiB are full. */
const FLUSH = ["-flush_packets", "1"];
/**
 * Elementary streams carry no timestamps, yet ffmpeg's muxer still drops a packet whose dts does
 * not increase in its coarse time base: a camera's jittery timestamps cost encoded pictures (and
 * every picture referring to them until the next keyframe). Numbering the packets keeps them all.
 */
const NUMBERED = "setts=pts=N:dts=N";
/** Parameter sets repeated before each keyframe (a reader may join at any), then numbered. */
const ELEMENTARY_BSF = ["-bsf:v", `dump_extra,${NUMBERED}`];

/** The elementary stream format ffmpeg writes or reads for a codec. */
export function elementaryFormat(codec: CopyCodec | "mjpeg"): "h264" | "hevc" | "mjpeg" {
  return codec === "h265" ? "hevc" : codec;
}

/**
 * The shared transcoder of a plan that is not annotated: source in, elementary stream out.
 *
 * @param plan the live plan
 * @param source the stream to read (the hub's relay of the camera)
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a bad source or plan
 * @example
 * ```ts
 * transcodeArgs({ mode: "copy", stream: "main", codec: "h264", width: 1920, height: 1080 },
 *   { url: "rtsp://127.0.0.1:8554/cam" });
 * // [..., "-c:v", "copy", "-bsf:v", "dump_extra,setts=pts=N:dts=N", ..., "-f", "h264", "pipe:1"]
 * ```
 */
export function transcodeArgs(plan: LivePlan, source: SourceOptions): string[] {
  // Not `-fflags nobuffer`: it drops what probing read, and from the relay that is the keyframe its
  // cache hands a new reader — the picture would wait a whole camera GOP for the next one.
  const head = [...BASE_FLAGS, ...LOG, ...inputArgs(source), ...VIDEO_ONLY];
  if (plan.mode === "copy") {
    return [
      ...head,
      "-c:v",
      "copy",
      ...ELEMENTARY_BSF,
      ...FLUSH,
      "-f",
      elementaryFormat(plan.codec),
      "pipe:1",
    ];
  }
  checkSize(plan.width, plan.height);
  return [...head, "-vf", filterFor(plan), ...encoderArgs(plan), "pipe:1"];
}

/**
 * The decoding half of an annotated transcoder: source in, raw yuv420p frames of the plan's size
 * out (`width * height * 3 / 2` bytes each), for drawing.
 *
 * @param plan an `encode` plan
 * @param source the stream to read
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a copy plan or a bad source
 */
export function decodeArgs(plan: LivePlan, source: SourceOptions): string[] {
  if (plan.mode !== "encode") throw new ValidationError("an annotated stream must be encoded");
  checkSize(plan.width, plan.height);
  return [
    ...BASE_FLAGS,
    ...LOG,
    ...inputArgs(source),
    ...VIDEO_ONLY,
    "-vf",
    filterFor(plan),
    "-pix_fmt",
    "yuv420p",
    "-fps_mode",
    "passthrough",
    ...FLUSH,
    "-f",
    "rawvideo",
    "pipe:1",
  ];
}

/**
 * The encoding half of an annotated transcoder: raw yuv420p frames on stdin (stamped with the
 * wall clock as they arrive), elementary stream out.
 *
 * @param plan an `encode` plan
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a copy plan or a bad size
 */
export function encodeRawArgs(plan: LivePlan): string[] {
  if (plan.mode !== "encode") throw new ValidationError("an annotated stream must be encoded");
  checkSize(plan.width, plan.height);
  return [
    ...BASE_FLAGS,
    ...LOG,
    "-protocol_whitelist",
    "pipe",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-s",
    `${plan.width}x${plan.height}`,
    "-use_wallclock_as_timestamps",
    "1",
    "-i",
    "pipe:0",
    // Wall-clock microseconds: in the default 1/25 s time base two close frames would collide.
    "-enc_time_base",
    "-1",
    ...encoderArgs(plan),
    "pipe:1",
  ];
}

/** Options of {@linkcode relayArgs}. */
export interface RelayOptions {
  /** Codec of the elementary stream on stdin. */
  codec: CopyCodec;
  /** Where to publish: `rtsp://` or `rtsps://` (ANNOUNCE/RECORD). */
  target: string;
}

/**
 * A session's RTSP publisher: the elementary stream on stdin, copied and published over RTSP
 * (interleaved TCP) to the box's server or a media server.
 *
 * @param options codec and target
 * @returns ffmpeg arguments
 * @throws {ValidationError} when the target is not an rtsp(s) URL
 * @example
 * ```ts
 * relayArgs({ codec: "h264", target: "rtsp://127.0.0.1:8554/live/0192..." });
 * // [..., "-f", "h264", ..., "-i", "pipe:0", "-c", "copy", "-f", "rtsp", ...]
 * ```
 */
export function relayArgs(options: RelayOptions): string[] {
  const target = checkTarget(options.target);
  return [
    ...BASE_FLAGS,
    // Info level: its `Output #0` line tells when the RTSP handshake is done.
    "-loglevel",
    "level+info",
    "-protocol_whitelist",
    RELAY_PROTOCOLS,
    ...pipeInput(options.codec),
    "-c",
    "copy",
    "-f",
    "rtsp",
    "-rtsp_transport",
    "tcp",
    target,
  ];
}

/** Options of {@linkcode segmenterArgs}. */
export interface SegmenterOptions {
  /** Codec of the elementary stream on stdin. */
  codec: CopyCodec;
  /** The session's HLS directory (made by Vigil from a checked session id, never from input). */
  dir: string;
  /** File name prefix of this segmenter's segments (`r3-`): each run after a switch has its own. */
  prefix: string;
}

/**
 * A session's HLS segmenter: the elementary stream on stdin, cut into MPEG-TS segments at
 * keyframes, one CSV line per finished segment on stdout (`r3-12.ts,start,end`). Vigil writes the
 * playlist itself, so a quality switch (a new segmenter) can be marked as a discontinuity.
 *
 * @param options codec, directory and file name prefix
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a bad directory or number
 */
export function segmenterArgs(options: SegmenterOptions): string[] {
  if (!/^r\d{1,9}-$/.test(options.prefix)) {
    throw new ValidationError(`segmenter: bad segment prefix ${JSON.stringify(options.prefix)}`);
  }
  if (!options.dir.startsWith("/") || /[%\s]/.test(options.dir)) {
    throw new ValidationError(
      "segmenter: the HLS directory must be an absolute path without % or spaces",
    );
  }
  return [
    ...BASE_FLAGS,
    ...LOG,
    "-protocol_whitelist",
    "pipe,file",
    ...pipeInput(options.codec),
    "-c",
    "copy",
    "-f",
    "segment",
    "-segment_format",
    "mpegts",
    "-segment_time",
    String(SEGMENT_MIN_S),
    "-segment_list",
    "pipe:1",
    "-segment_list_type",
    "csv",
    `${options.dir}/${options.prefix}%d.ts`,
  ];
}

/**
 * ffprobe arguments that describe the first video stream of a source as JSON.
 *
 * @param source the stream to probe
 * @returns ffprobe arguments
 * @throws {ValidationError} for a bad source
 */
export function probeArgs(source: SourceOptions): string[] {
  return [
    "-hide_banner",
    "-v",
    "error",
    ...inputArgs(source),
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height",
    "-of",
    "json",
  ];
}

/**
 * What is wrong with a push target from user input, if anything: it must be `rtsp://` or
 * `rtsps://` with a host, nothing ffmpeg could read as an option or a local file.
 *
 * @param raw the target
 * @returns the end of "target …" (e.g. "must be an rtsp:// or rtsps:// URL"), or undefined
 */
export function targetProblem(raw: unknown): string | undefined {
  if (typeof raw !== "string") return "must be a string";
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  if (raw.length > 2048 || /[\s\u0000-\u001f\u007f]/.test(raw)) {
    return "must be a URL of at most 2048 characters without spaces";
  }
  if (!/^rtsps?:\/\//i.test(raw)) return "must be an rtsp:// or rtsps:// URL";
  if (!URL.canParse(raw) || new URL(raw).hostname === "") return "must name a host";
  return undefined;
}

/**
 * Checks a push target (see {@linkcode targetProblem}).
 *
 * @param raw the target
 * @returns the target
 * @throws {ValidationError} naming `target`
 */
export function checkTarget(raw: unknown): string {
  const problem = targetProblem(raw);
  if (problem) throw new ValidationError(`target ${problem}`, "target");
  return raw as string;
}

function pipeInput(codec: CopyCodec): string[] {
  // Access units arrive whole and start with parameter sets: no need to probe long. (Not
  // `nobuffer`: it drops what probing read, the first keyframe among it.)
  return [
    "-probesize",
    "32768",
    "-analyzeduration",
    "0",
    "-f",
    elementaryFormat(codec),
    "-use_wallclock_as_timestamps",
    "1",
    "-i",
    "pipe:0",
  ];
}

function filterFor(plan: Extract<LivePlan, { mode: "encode" }>): string {
  const scale = `scale=${plan.width}:${plan.height}`;
  return plan.codec === "mjpeg" ? `fps=${MJPEG_FPS},${scale}` : scale;
}

function encoderArgs(plan: Extract<LivePlan, { mode: "encode" }>): string[] {
  if (plan.codec === "mjpeg") {
    return [
      "-pix_fmt",
      "yuvj420p",
      "-c:v",
      "mjpeg",
      "-q:v",
      String(MJPEG_QUALITY),
      "-bsf:v",
      NUMBERED,
      ...FLUSH,
      "-f",
      "mjpeg",
    ];
  }
  checkInt("bitrateKbps", plan.bitrateKbps, 50, 50_000);
  const rate = `${plan.bitrateKbps}k`;
  return [
    "-pix_fmt",
    "yuv420p",
    "-fps_mode",
    "passthrough",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-tune",
    "zerolatency",
    "-b:v",
    rate,
    "-maxrate",
    rate,
    "-bufsize",
    rate,
    "-force_key_frames",
    `expr:gte(t,n_forced*${KEYFRAME_INTERVAL_S})`,
    "-sc_threshold",
    "0",
    ...ELEMENTARY_BSF,
    ...FLUSH,
    "-f",
    "h264",
  ];
}

function checkSize(width: number, height: number): void {
  checkInt("width", width, 16, 8192);
  checkInt("height", height, 16, 8192);
  if (width % 2 !== 0 || height % 2 !== 0) {
    throw new ValidationError(`live: ${width}x${height} must have even sides for yuv420p`);
  }
}
