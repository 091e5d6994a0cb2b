/**
 * One recording run: an ffmpeg writing a source into fragmented-MP4 segments (arguments:
 * models/media/segment_args.ts), its stdout read for finished segments and progress. Stops with
 * SIGINT, ffmpeg's interactive stop (it finishes and lists the open segment), then SIGKILL after
 * {@linkcode FINALIZE_MS}; SIGINT is also its parent-death signal (actors/process/launch.ts), so
 * a crashed server's ffmpeg finishes its segment and exits. Why, and what was measured:
 * docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */
import { createLogger } from "../../models/log.ts";
import { recordArgs, type RecordArgsOptions } from "../../models/media/segment_args.ts";
import { parseRecorderLine } from "../../models/media/segment_output.ts";
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import { spawnChild } from "../process/child.ts";
import { readLines } from "../process/lines.ts";

/** Time ffmpeg gets to finish its open segment after SIGINT before SIGKILL. */
export const FINALIZE_MS = 5000;
/** No progress for this long (the source stalled without closing) → the run is stopped. */
export const RUN_STALL_MS = 20_000;

/** What a run tells its owner, as it happens. */
export interface RunListener {
  /** ffmpeg listed a finished segment (file name in the output directory, run times in s). */
  segment(name: string, startS: number, endS: number, atMs: number): void;
  /** ffmpeg reported its output time (s of the run) at `atMs`. */
  progress(timeS: number, atMs: number): void;
}

/** How a run ended. */
export interface RunEnd {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: string | null;
  /** ffmpeg's last error line, redacted. */
  error: string | null;
  /** Whether the run was stopped by its owner (not a failure). */
  stopped: boolean;
}

/** A running recorder ffmpeg. */
export interface SegmenterRun {
  readonly pid: number;
  /** Asks ffmpeg to finish its segment and exit; resolves when it has. */
  stop(): Promise<RunEnd>;
  /** Settles when ffmpeg has exited and stdout is read to its end. */
  readonly done: Promise<RunEnd>;
}

/**
 * Starts a run.
 *
 * @param options source and output (see {@linkcode recordArgs})
 * @param listener receives finished segments and progress
 * @param cameraId for log lines
 * @returns the run
 * @throws {ValidationError} for bad options (nothing is started)
 * @throws {Error} when ffmpeg cannot be started
 */
export function startSegmenter(
  options: RecordArgsOptions,
  listener: RunListener,
  cameraId: string,
): SegmenterRun {
  const args = recordArgs(options);
  const parser = new StderrParser();
  const child = spawnChild("ffmpeg", {
    args,
    stdout: "piped",
    stopSignal: "SIGINT",
    graceMs: FINALIZE_MS,
    onStderrLine: (line) => parser.push(line),
  });
  const log = createLogger("recorder", { camera: cameraId });
  let stopped = false;
  let lastProgressAt = Date.now();
  let lastTime = -1;

  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > RUN_STALL_MS) {
      log.warn("recording stalled: no progress; restarting ffmpeg", { pid: child.pid });
      lastProgressAt = Date.now();
      void child.stop();
    }
  }, 1000);

  const readStdout = async () => {
    for await (const line of readLines(child.stdout)) {
      const parsed = parseRecorderLine(line);
      const at = Date.now();
      if (parsed.kind === "segment") {
        listener.segment(parsed.name, parsed.startS, parsed.endS, at);
      } else if (parsed.kind === "progress") {
        const timeS = parsed.outTimeUs / 1e6;
        if (timeS > lastTime) {
          lastTime = timeS;
          lastProgressAt = at;
        }
        listener.progress(timeS, at);
      }
    }
  };
  const done = Promise.all([
    readStdout().catch(() => {}),
    child.done,
  ]).then(([, status]): RunEnd => {
    clearInterval(watchdog);
    return {
      code: status.signal ? null : status.code,
      signal: status.signal,
      error: parser.lastError,
      stopped,
    };
  });

  return {
    pid: child.pid,
    done,
    async stop() {
      stopped = true;
      await child.stop();
      return await done;
    },
  };
}
