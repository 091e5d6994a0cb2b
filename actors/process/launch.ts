/**
 * How a child is launched so that it dies with the server and can be stopped as a group:
 *
 * - util-linux `setpriv --pdeathsig` sets the parent-death signal, then execs. Linux sends it
 *   when the *thread* that spawned the child exits; Deno spawns on the calling JavaScript thread,
 *   so children of the main thread live as long as the server (a Worker must never spawn).
 * - Perl's `setpgrp` (perl-base is essential on Debian) puts the child in a process group of its
 *   own, in the server's session, then execs the program. Deno's `detached` would call `setsid()`
 *   instead, and a new session is a new CPU autogroup: measured, the server's CPU share against six
 *   busy children fell from 0.25 to 0.14 (test/actors/process/child_test.ts checks the session).
 *
 * Both exec in place, so the PID is the program's own. A missing wrapper is logged once and skipped.
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
const PERL_CANDIDATES = ["/usr/bin/perl", "/bin/perl"];
/** Joins a process group of its own (pgid = its pid), then execs argv[0] with the rest. */
const OWN_GROUP_SCRIPT =
  'setpgrp(0, 0) or die "setpgrp: $!\\n"; exec { $ARGV[0] } @ARGV or die "exec: $!\\n"';
let setprivPath: string | null | undefined;
let perlPath: string | null | undefined;

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
 * Perl, when installed (looked up once; a missing one is logged once).
 *
 * @returns its absolute path, or null
 */
export function findPerl(): string | null {
  if (perlPath !== undefined) return perlPath;
  perlPath = PERL_CANDIDATES.find(isExecutableFile) ?? null;
  if (perlPath === null) {
    createLogger("process").warn("perl not found: children share the server's process group");
  }
  return perlPath;
}

/**
 * The command line that runs `program` in a process group of its own.
 *
 * @param perl path of perl, or null to run `program` in the server's group
 * @param program absolute path of the program
 * @param args its arguments
 * @returns program and arguments to spawn
 */
export function inOwnProcessGroup(
  perl: string | null,
  program: string,
  args: readonly string[],
): Launch {
  if (perl === null) return { program, args: [...args] };
  return { program: perl, args: ["-e", OWN_GROUP_SCRIPT, program, ...args] };
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
