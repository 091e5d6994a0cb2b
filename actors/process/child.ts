/**
 * The one place a server child process is started (ffmpeg, ffprobe, the console bundler). Every
 * child runs in a process group of its own, in the server's session (a Ctrl-C on the server's
 * terminal reaches the server only, and the server decides how each child stops), with a
 * parent-death signal (see launch.ts). Its stderr is always read: line by line to the caller, and
 * the last lines kept, redacted, for error messages. Stopping sends the caller's signal (SIGINT
 * lets the recorder's ffmpeg finish its segment), then SIGKILL after a grace, and awaits the exit.
 *
 * @module
 */
import { redact } from "../../models/log.ts";
import {
  findPerl,
  findSetpriv,
  inOwnProcessGroup,
  resolveProgram,
  type StopSignal,
  withParentDeathSignal,
} from "./launch.ts";
import { readLines } from "./lines.ts";

/** Time a child gets to exit after its stop signal before SIGKILL. */
export const KILL_GRACE_MS = 1000;
/** Non-blank stderr lines kept for error messages. */
export const STDERR_TAIL_LINES = 5;

/** How to start and stop a child. */
export interface SpawnOptions {
  /** Arguments (never a shell). */
  args?: readonly string[];
  /** Working directory. Default: the server's. */
  cwd?: string;
  /** Default `"null"`. */
  stdin?: "piped" | "null";
  /** Default `"null"`. */
  stdout?: "piped" | "null";
  /** Sent by {@linkcode ChildProcess.stop}. Default SIGTERM. */
  stopSignal?: StopSignal;
  /** Time between the stop signal and SIGKILL. Default {@linkcode KILL_GRACE_MS}. */
  graceMs?: number;
  /** Sent to the child when the server dies. Default: the stop signal. */
  parentDeathSignal?: StopSignal;
  /** Receives every stderr line, without its line end. */
  onStderrLine?: (line: string) => void;
}

/**
 * How a child ended, for messages.
 *
 * @param status its exit status
 * @returns `killed by SIGTERM` or `exit code 1`
 */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

/**
 * Starts a child.
 *
 * @param program a name looked up in PATH, or a path
 * @param options arguments, pipes, how it stops, stderr lines
 * @returns the running child
 * @throws {Deno.errors.NotFound} when the program is not installed
 * @example
 * ```ts
 * const child = spawnChild("ffmpeg", { args, stdout: "piped", stopSignal: "SIGINT" });
 * for await (const line of readLines(child.stdout)) console.log(line);
 * await child.stop();
 * ```
 */
export function spawnChild(program: string, options: SpawnOptions = {}): ChildProcess {
  const stopSignal = options.stopSignal ?? "SIGTERM";
  const grouped = inOwnProcessGroup(
    findPerl(),
    resolveProgram(program, options.cwd),
    options.args ?? [],
  );
  const launch = withParentDeathSignal(
    findSetpriv(),
    grouped.program,
    grouped.args,
    options.parentDeathSignal ?? stopSignal,
  );
  const child = new Deno.Command(launch.program, {
    args: launch.args,
    cwd: options.cwd,
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "null",
    stderr: "piped",
  }).spawn();
  return new ChildProcess(child, stopSignal, options.graceMs ?? KILL_GRACE_MS, options);
}

/** A running child started by {@linkcode spawnChild}. */
export class ChildProcess {
  /** The program's PID (the wrappers exec in place); also its process group once it runs. */
  readonly pid: number;
  /** Resolves when the child has exited and its stderr is read to the end; never rejects. */
  readonly done: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #tail: string[] = [];
  #exited = false;
  #stopping = false;

  /** @internal use {@linkcode spawnChild} */
  constructor(
    child: Deno.ChildProcess,
    readonly stopSignal: StopSignal,
    readonly graceMs: number,
    options: Pick<SpawnOptions, "onStderrLine">,
  ) {
    this.#child = child;
    this.pid = child.pid;
    const status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    const stderr = this.#readStderr(options.onStderrLine).catch(() => {});
    this.done = Promise.all([status, stderr]).then(([s]) => s);
  }

  /** The child's stdin. @throws {TypeError} when not piped */
  get stdin(): WritableStream<Uint8Array> {
    return this.#child.stdin;
  }

  /** The child's stdout. @throws {TypeError} when not piped */
  get stdout(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#child.stdout;
  }

  /** The last non-blank stderr lines, oldest first, passwords in URLs removed. */
  get stderrTail(): readonly string[] {
    return this.#tail;
  }

  /** The last non-blank stderr line (redacted), or `""`. */
  get lastStderrLine(): string {
    return this.#tail.at(-1) ?? "";
  }

  /** Whether the child has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Whether {@linkcode stop} was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Sends a signal to the child's process group, or to the child alone in the instant before its
   * wrapper has made the group (or when there is no wrapper to make one).
   *
   * @param signal the signal
   * @returns false when the child had exited already
   */
  signal(signal: Deno.Signal): boolean {
    if (this.#exited) return false;
    for (const target of [-this.pid, this.pid]) {
      try {
        Deno.kill(target, signal);
        return true;
      } catch {
        // no such group yet (or any more): try the child itself
      }
    }
    return false; // exited meanwhile
  }

  /**
   * Stops the child: its stop signal, SIGKILL after its grace, then waits for the exit. Calling
   * it again only waits.
   *
   * @returns the exit status, once stderr is read to the end
   */
  stop(): Promise<Deno.CommandStatus> {
    if (!this.#stopping) {
      this.#stopping = true;
      if (this.signal(this.stopSignal) && this.stopSignal !== "SIGKILL") {
        const timer = setTimeout(() => this.signal("SIGKILL"), this.graceMs);
        void this.#child.status.then(() => clearTimeout(timer));
      }
    }
    return this.done;
  }

  async #readStderr(onLine: ((line: string) => void) | undefined): Promise<void> {
    for await (const line of readLines(this.#child.stderr, { keepUnterminated: true })) {
      onLine?.(line);
      if (line.trim() === "") continue;
      this.#tail.push(String(redact(line.trimEnd())));
      if (this.#tail.length > STDERR_TAIL_LINES) this.#tail.shift();
    }
  }
}
