/**
 * One recording run: an ffmpeg writing a source into segments (arguments from
 * models/media/segment_args.ts), its stdout read line by line — finished segments and progress —
 * and its end. The recorder (actors/recording/recorder.ts) starts a run, turns finished segments into
 * indexed ones, and starts another run when one ends.
 *
 * Stopping is SIGINT: ffmpeg then finishes the open segment and lists it (measured with ffmpeg
 * 5.1: SIGTERM exits "normally" but leaves the open segment as a bare 28-byte header). After
 * {@linkcode FINALIZE_MS} it is killed.
 *
 * A crash of the server must not leave ffmpeg recording on its own (it ignores SIGPIPE, so a
 * closed stdout does not stop it): where util-linux's `setpriv` exists, ffmpeg runs with a
 * parent-death signal (SIGINT), so it finishes its segment and exits when the server dies.
 *
 * @module
 */
import { createLogger } from "../../models/log.ts";
import { recordArgs, type RecordArgsOptions } from "../../models/media/segment_args.ts";
import { parseRecorderLine } from "../../models/media/segment_output.ts";
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";

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

let setprivPath: string | null | undefined;

/** util-linux setpriv, when installed (found once). */
function setpriv(): string | null {
  if (setprivPath === undefined) {
    setprivPath = null;
    for (const candidate of ["/usr/bin/setpriv", "/bin/setpriv"]) {
      try {
        if (Deno.statSync(candidate).isFile) {
          setprivPath = candidate;
          break;
        }
      } catch {
        // not there
      }
    }
  }
  return setprivPath;
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
  const wrapper = setpriv();
  const child = new Deno.Command(wrapper ?? "ffmpeg", {
    args: wrapper ? ["--pdeathsig", "INT", "--", "ffmpeg", ...args] : args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = createLogger("recorder", { camera: cameraId });
  const parser = new StderrParser();
  let stopped = false;
  let lastProgressAt = Date.now();
  let lastTime = -1;

  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch {
      // already exited
    }
  };
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgressAt > RUN_STALL_MS) {
      log.warn("recording stalled: no progress; restarting ffmpeg", { pid: child.pid });
      lastProgressAt = Date.now();
      signal("SIGINT");
      setTimeout(() => signal("SIGKILL"), FINALIZE_MS);
    }
  }, 1000);

  const readStdout = async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
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
    }
  };
  const readStderr = async () => {
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split(/\r?\n/);
      rest = lines.pop() ?? "";
      for (const line of lines) parser.push(line);
    }
  };
  const done = Promise.all([
    readStdout().catch(() => {}),
    readStderr().catch(() => {}),
    child.status,
  ]).then(([, , status]): RunEnd => {
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
      signal("SIGINT");
      const timer = setTimeout(() => signal("SIGKILL"), FINALIZE_MS);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
