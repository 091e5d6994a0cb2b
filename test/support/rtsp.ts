/**
 * Test helpers around the RTSP simulator: a server that is always stopped, process checks by PID,
 * and polling with a deadline.
 *
 * @module
 */

import {
  type RtspServer,
  type RtspServerOptions,
  type SilentServer,
  startRtspServer,
  startSilentServer,
} from "../../scripts/sim/rtsp_server.ts";

export { type RtspServer, type SilentServer, startRtspServer, startSilentServer };

/**
 * Runs `fn` with a started RTSP server and stops the server afterwards, even when `fn` throws.
 *
 * @param options server options
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withRtspServer<T>(
  options: RtspServerOptions,
  fn: (server: RtspServer) => Promise<T>,
): Promise<T> {
  const server = await startRtspServer(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * Whether a process with this PID exists and is not a zombie (reading /proc/PID/stat).
 *
 * @param pid process id
 * @returns true while the process runs
 */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state letter follows the parenthesised command name, which may contain spaces.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * PIDs of running ffmpeg processes whose parent is this Deno process.
 *
 * @returns child ffmpeg PIDs
 */
export function ffmpegChildren(): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (name === "ffmpeg" && ppid === Deno.pid && processAlive(Number(entry.name))) {
        out.push(Number(entry.name));
      }
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/**
 * Polls `predicate` every 20 ms until it is true.
 *
 * @param predicate condition to wait for
 * @param timeoutMs give up after this long
 * @param what description for the timeout error
 * @returns ms waited
 * @throws Error naming `what` on timeout
 */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - start;
}
