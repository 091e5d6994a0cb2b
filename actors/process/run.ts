/**
 * One-shot children (a probe, a JPEG encode, the console bundle): started, optionally fed, read
 * to the end and awaited, killed when they take too long.
 *
 * @module
 */
import { spawnChild } from "./child.ts";

/** A one-shot run. */
export interface RunOptions {
  /** Arguments (never a shell). */
  args?: readonly string[];
  /** Working directory. Default: the server's. */
  cwd?: string;
  /** Bytes written to stdin, which is then closed. Default: no stdin. */
  input?: Uint8Array;
  /** SIGKILL after this long. Default: no limit. */
  timeoutMs?: number;
}

/** What a one-shot run produced. */
export interface RunOutput {
  status: Deno.CommandStatus;
  stdout: Uint8Array<ArrayBuffer>;
  /** The last non-blank stderr lines, redacted (see {@linkcode ChildProcess.stderrTail}). */
  stderrTail: readonly string[];
  /** The last of them, or `""`. */
  lastStderrLine: string;
  /** Whether it was killed for taking longer than `timeoutMs`. */
  timedOut: boolean;
}

/**
 * Runs a program to its end.
 *
 * @param program a name looked up in PATH, or a path
 * @param options arguments, working directory, stdin bytes, time limit
 * @returns its status, stdout and stderr tail (a failure is a status, not a throw)
 * @throws {Deno.errors.NotFound} when the program is not installed
 * @example
 * ```ts
 * const out = await runProcess("ffprobe", { args: ["-v", "error", path], timeoutMs: 15_000 });
 * if (!out.status.success) throw new Error(`ffprobe failed: ${out.lastStderrLine}`);
 * ```
 */
export async function runProcess(program: string, options: RunOptions = {}): Promise<RunOutput> {
  const child = spawnChild(program, {
    args: options.args,
    cwd: options.cwd,
    stdin: options.input ? "piped" : "null",
    stdout: "piped",
    stopSignal: "SIGKILL",
  });
  let timedOut = false;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    void child.stop();
  }, options.timeoutMs);
  const writing = options.input ? writeAll(child.stdin, options.input) : Promise.resolve();
  try {
    const [stdout, status] = await Promise.all([
      new Response(child.stdout).bytes(),
      child.done,
      writing,
    ]);
    return {
      status,
      stdout,
      stderrTail: child.stderrTail,
      lastStderrLine: child.lastStderrLine,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function writeAll(stdin: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(data);
    await writer.close();
  } catch {
    // the child died early; its exit status tells why
  }
}
