/**
 * The ffmpeg processes of live streaming (transcoders, relays, HLS segmenters), started in the
 * live manager's {@linkcode ProcessGroup}: their stderr is read for the last error and the
 * `Output #0` line (written once an output, such as an RTSP publication, is open), and an exit
 * that nobody asked for is reported with that error.
 *
 * @module
 */
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import { createLogger } from "../../models/log.ts";
import { type ChildProcess, describeExit } from "../process/child.ts";
import type { ProcessGroup } from "../process/process_group.ts";

/** What a live process reports while it runs. */
export interface ProcessHooks {
  /** ffmpeg opened its output (RTSP handshake done, first segment file open…). */
  onOutputOpen?: () => void;
  /** The process ended by itself (not through `stop()`), with the last error it printed. */
  onExit?: (error: string) => void;
}

/**
 * Starts a live ffmpeg (stopped with SIGTERM, SIGKILL after the process layer's grace).
 *
 * @param group the live process group
 * @param name what it is, for logs (`transcoder`, `relay`…)
 * @param args its arguments
 * @param pipes which of stdin/stdout are piped
 * @param hooks output-open and exit callbacks
 * @returns the process
 * @throws {Deno.errors.NotFound} when ffmpeg is not installed
 * @example
 * ```ts
 * const relay = spawnLive(group, "relay", args, { stdin: "piped", stdout: "null" });
 * await relay.stop();
 * ```
 */
export function spawnLive(
  group: ProcessGroup,
  name: string,
  args: string[],
  pipes: { stdin: "piped" | "null"; stdout: "piped" | "null" },
  hooks: ProcessHooks = {},
): ChildProcess {
  const log = createLogger("live", { process: name });
  const parser = new StderrParser();
  const child: ChildProcess = group.spawn("ffmpeg", {
    args,
    ...pipes,
    onStderrLine: (line) => {
      const parsed = parser.push(line);
      if (parsed.kind === "section" && /Output #0/.test(line)) hooks.onOutputOpen?.();
      if (parsed.kind === "error") {
        log.debug("ffmpeg error line", { pid: child.pid, line: parsed.message });
      }
    },
  });
  void child.done.then((status) => {
    if (child.stopping) return;
    const error = `${name}: ffmpeg ended (${describeExit(status)})${
      parser.lastError ? `: ${parser.lastError}` : ""
    }`;
    log.warn("process ended", { pid: child.pid, error });
    hooks.onExit?.(error);
  });
  log.debug("process started", { pid: child.pid });
  return child;
}
