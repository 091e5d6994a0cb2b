/**
 * Pure builders of the ffmpeg/ffprobe commands of recording and clips: the segmenter (fragmented
 * MP4, one fragment per GOP, each segment starting at 0, finished segments listed on stdout), the
 * probes, the concat list and the compile command (plain MP4, `+faststart`).
 * Why fragmented MP4: docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { BASE_FLAGS, inputArgs, type SourceOptions } from "./ffmpeg_args.ts";

/** What happens to a camera's audio in a segment. */
export type AudioMode = "copy" | "aac" | "none";

/**
 * Audio codecs an MP4 holds that every player decodes; anything else (G.711 µ-law/A-law, G.726,
 * ADPCM, PCM, Opus) is converted to AAC.
 */
export const MP4_AUDIO_CODECS: readonly string[] = ["aac", "mp3"];

/** Segment length bounds (s): short enough to lose little on a crash, long enough to be cheap. */
export const SEGMENT_SECONDS = { min: 2, max: 600, default: 10 } as const;

/**
 * How to treat a source's audio.
 *
 * @param codec the source's audio codec as ffprobe names it, or null without audio
 * @returns copy it, convert it to AAC, or none
 * @example
 * ```ts
 * audioMode("pcm_mulaw"); // "aac"
 * audioMode("aac"); // "copy"
 * audioMode(null); // "none"
 * ```
 */
export function audioMode(codec: string | null): AudioMode {
  if (codec === null) return "none";
  return MP4_AUDIO_CODECS.includes(codec) ? "copy" : "aac";
}

/** Options for {@linkcode recordArgs}. */
export interface RecordArgsOptions extends SourceOptions {
  /** Output pattern with `%06d` (see models/recording/paths.ts). */
  output: string;
  /** Target segment length in seconds; cuts fall on the first keyframe after each multiple. */
  segmentSeconds: number;
  /** What to do with the audio. */
  audio: AudioMode;
  /** The source's video codec (HEVC gets the `hvc1` tag Apple players need). */
  videoCodec?: string | null;
}

/**
 * Builds the recorder command: stream copy of the first video stream (and the first audio stream,
 * copied or converted) into fragmented-MP4 segments; the finished segments' CSV list and progress
 * reports (every second) on stdout.
 *
 * @param options source, output pattern, segment length, audio handling
 * @returns ffmpeg arguments
 * @throws {ValidationError} for a bad source, segment length or output pattern
 * @example
 * ```ts
 * recordArgs({ url: "rtsp://cam/main", output: "/d/incoming/1-%06d.mp4", segmentSeconds: 10,
 *   audio: "none" });
 * // [..., "-c:v", "copy", "-an", "-f", "segment", "-segment_time", "10", ...]
 * ```
 */
export function recordArgs(options: RecordArgsOptions): string[] {
  const { segmentSeconds, output, audio } = options;
  if (
    !Number.isInteger(segmentSeconds) || segmentSeconds < SEGMENT_SECONDS.min ||
    segmentSeconds > SEGMENT_SECONDS.max
  ) {
    throw new ValidationError(
      `Invalid 'segmentSeconds': must be an integer from ${SEGMENT_SECONDS.min} to ` +
        `${SEGMENT_SECONDS.max}, got ${segmentSeconds}`,
      "segmentSeconds",
    );
  }
  if (!output.startsWith("/") || !output.endsWith("%06d.mp4") || output.includes("\n")) {
    throw new ValidationError("Invalid 'output': must be an absolute %06d.mp4 pattern", "output");
  }
  const audioArgs = audio === "none"
    ? ["-an"]
    : ["-map", "0:a:0?", ...(audio === "copy" ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "64k"])];
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+warning",
    ...inputArgs(options),
    "-map",
    "0:v:0",
    "-c:v",
    "copy",
    ...(options.videoCodec === "hevc" ? ["-tag:v", "hvc1"] : []),
    ...audioArgs,
    "-sn",
    "-dn",
    "-f",
    "segment",
    "-segment_time",
    String(segmentSeconds),
    "-segment_format",
    "mp4",
    // flush_packets: each fragment is written out when it is complete, so a crash loses only the
    // end of the segment (measured: the GOP being written and the last complete one; see
    // docs/decisions/fragmented-mp4-segments.md).
    "-segment_format_options",
    "movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1",
    "-reset_timestamps",
    "1",
    "-segment_list",
    "pipe:1",
    "-segment_list_type",
    "csv",
    "-stats_period",
    "1",
    "-progress",
    "pipe:1",
    output,
  ];
}

/**
 * Builds the probe of a source (before recording: which codecs it sends).
 *
 * @param options source URL, transport, timeout
 * @returns ffprobe arguments (JSON on stdout)
 * @throws {ValidationError} for a bad source
 */
export function sourceProbeArgs(options: SourceOptions): string[] {
  return [
    "-hide_banner",
    "-v",
    "error",
    "-show_entries",
    "stream=codec_type,codec_name,width,height",
    "-of",
    "json",
    // ffprobe takes "-i url" like ffmpeg, after the input's own options.
    ...inputArgs(options),
  ];
}

/**
 * Builds the check of a finished file: container duration and size, the first video stream, and
 * the flags of its first packet (a segment must start on a keyframe).
 *
 * @param path an absolute file path we built
 * @returns ffprobe arguments (JSON on stdout)
 * @throws {ValidationError} for a path that is not absolute
 */
export function fileProbeArgs(path: string): string[] {
  if (!path.startsWith("/")) throw new ValidationError("probe: path must be absolute", "path");
  return [
    "-hide_banner",
    "-v",
    "error",
    "-protocol_whitelist",
    "file",
    "-select_streams",
    "v:0",
    "-read_intervals",
    "%+#1",
    "-show_entries",
    "format=duration,size:stream=codec_name,width,height:packet=flags",
    "-of",
    "json",
    `file:${path}`,
  ];
}

/** One file of a concat list. */
export interface ConcatEntry {
  /** Absolute path. */
  path: string;
  /** Start inside the file (s); absent → from its start. */
  inpoint?: number;
  /** End inside the file (s); absent → to its end. */
  outpoint?: number;
  /** The file's duration (s), when known: the next file's timestamps continue exactly there. */
  duration?: number;
}

/**
 * Writes the script of ffmpeg's concat demuxer. Paths are quoted with `'` and an embedded `'`
 * becomes `'\''`, the demuxer's own escaping, so no path can inject a directive.
 *
 * @param entries the files in order
 * @returns the script text
 * @throws {ValidationError} for no entries, a relative path or a control character in a path
 * @example
 * ```ts
 * concatScript([{ path: "/r/a.mp4", inpoint: 4.2 }, { path: "/r/b.mp4", outpoint: 3 }]);
 * // "ffconcat version 1.0\nfile '/r/a.mp4'\ninpoint 4.200\nfile '/r/b.mp4'\noutpoint 3.000\n"
 * ```
 */
export function concatScript(entries: readonly ConcatEntry[]): string {
  if (entries.length === 0) throw new ValidationError("concat: no file to join", "entries");
  const lines = ["ffconcat version 1.0"];
  for (const entry of entries) {
    // deno-lint-ignore no-control-regex -- refusing control characters is the point
    if (!entry.path.startsWith("/") || /[\u0000-\u001f\u007f]/.test(entry.path)) {
      throw new ValidationError(`concat: unusable path ${JSON.stringify(entry.path)}`, "path");
    }
    lines.push(`file '${entry.path.replaceAll("'", "'\\''")}'`);
    if (entry.duration !== undefined) lines.push(`duration ${seconds(entry.duration)}`);
    if (entry.inpoint !== undefined && entry.inpoint > 0) {
      lines.push(`inpoint ${seconds(entry.inpoint)}`);
    }
    if (entry.outpoint !== undefined) lines.push(`outpoint ${seconds(entry.outpoint)}`);
  }
  return lines.join("\n") + "\n";
}

/** Options for {@linkcode compileArgs}. */
export interface CompileArgsOptions {
  /** The concat script (absolute path). */
  list: string;
  /** The output MP4 (absolute path). */
  output: string;
  /** Whether the segments carry audio (AAC or MP3, copied as is). */
  audio: boolean;
  /**
   * Burn in boxes and labels: the ASS subtitle file's name, relative to ffmpeg's working
   * directory (so no path needs filtergraph escaping), and the cut of the joined timeline.
   */
  annotate?: { subtitles: string; startS: number; durationS: number };
}

/**
 * Builds the compile command: join the segments with the concat demuxer; a plain clip is stream
 * copy (cut on keyframes by the list's in/out points), an annotated clip is re-encoded with the
 * subtitles burned in and cut exactly. Progress goes to stdout.
 *
 * @param options list, output, audio, annotation
 * @returns ffmpeg arguments
 * @throws {ValidationError} for relative paths or a subtitle name that needs escaping
 */
export function compileArgs(options: CompileArgsOptions): string[] {
  if (!options.list.startsWith("/") || !options.output.startsWith("/")) {
    throw new ValidationError("compile: paths must be absolute", "path");
  }
  const a = options.annotate;
  if (a && !/^[0-9a-f-]+\.ass$/.test(a.subtitles)) {
    throw new ValidationError("compile: subtitles must be a plain <id>.ass name", "subtitles");
  }
  const video = a
    ? [
      "-vf",
      `ass=${a.subtitles}`,
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "23",
      "-pix_fmt",
      "yuv420p",
      "-ss",
      seconds(a.startS),
      "-t",
      seconds(a.durationS),
    ]
    : ["-c:v", "copy"];
  return [
    ...BASE_FLAGS,
    "-loglevel",
    "level+warning",
    "-y",
    "-protocol_whitelist",
    "file",
    "-f",
    "concat",
    "-safe",
    "0",
    "-i",
    options.list,
    "-map",
    "0:v:0",
    ...(options.audio ? ["-map", "0:a:0?", "-c:a", "copy"] : ["-an"]),
    ...video,
    "-sn",
    "-dn",
    "-movflags",
    "+faststart",
    "-stats_period",
    "0.5",
    "-progress",
    "pipe:1",
    "-f",
    "mp4",
    options.output,
  ];
}

function seconds(value: number): string {
  if (!Number.isFinite(value) || value < 0) {
    throw new ValidationError(`concat: bad time ${value}`, "time");
  }
  return value.toFixed(3);
}
