/**
 * How a child is launched so that it dies with the server: util-linux `setpriv --pdeathsig`
 * sets the parent-death signal and then execs the program (same PID, so signals and the PID the
 * API shows are the program's own). Linux sends that signal when the *thread* that spawned the
 * child exits; Deno spawns on the calling JavaScript thread, so children spawned on the main
 * thread live as long as the server, and a Worker must never spawn (its children would die with
 * it). Without setpriv (not util-linux), children are started directly, with no such signal.
 *
 * @module
 */
import { createLogger } from "../../models/log.ts";

/** Signals a child may get when it is stopped or when the server dies. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGKILL";

/** What to execute: the program and its arguments, wrapper included. */
export interface Launch {
  program: string;
  args: string[];
}

const SETPRIV_CANDIDATES = ["/usr/bin/setpriv", "/bin/setpriv"];
let setprivPath: string | null | undefined;

/**
 * util-linux setpriv, when installed (looked up once; a missing one is logged once).
 *
 * @returns its absolute path, or null
 */
export function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = SETPRIV_CANDIDATES.find(isExecutableFile) ?? null;
  if (setprivPath === null) {
    createLogger("process").warn(
      "util-linux setpriv not found: ffmpeg and other children can outlive a crashed server",
    );
  }
  return setprivPath;
}

/**
 * The command line that runs `program` with a parent-death signal.
 *
 * @param setpriv path of setpriv, or null to run `program` directly
 * @param program absolute path of the program
 * @param args its arguments
 * @param signal sent to the child when the spawning thread exits
 * @returns program and arguments to spawn
 * @example
 * ```ts
 * withParentDeathSignal("/usr/bin/setpriv", "/usr/bin/ffmpeg", ["-i", "x"], "SIGINT");
 * // { program: "/usr/bin/setpriv", args: ["--pdeathsig", "INT", "--", "/usr/bin/ffmpeg", "-i", "x"] }
 * ```
 */
export function withParentDeathSignal(
  setpriv: string | null,
  program: string,
  args: readonly string[],
  signal: StopSignal,
): Launch {
  if (setpriv === null) return { program, args: [...args] };
  return {
    program: setpriv,
    args: ["--pdeathsig", signal.slice("SIG".length), "--", program, ...args],
  };
}

/**
 * Finds a program as `execvp` would, so a missing binary fails when spawned (as it does without
 * a wrapper) rather than as a wrapper's exit code later.
 *
 * @param program a name looked up in PATH, or a path (relative to `cwd`)
 * @param cwd the child's working directory
 * @returns the program's absolute path
 * @throws {Deno.errors.NotFound} when there is no such executable
 */
export function resolveProgram(program: string, cwd: string = Deno.cwd()): string {
  if (program.includes("/")) {
    const path = program.startsWith("/") ? program : `${cwd}/${program}`;
    if (isExecutableFile(path)) return path;
    throw new Deno.errors.NotFound(`Failed to spawn '${program}': no such executable file`);
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const path = `${dir.startsWith("/") ? dir : `${cwd}/${dir}`}/${program}`;
    if (isExecutableFile(path)) return path;
  }
  throw new Deno.errors.NotFound(`Failed to spawn '${program}': entity not found`);
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}
