/**
 * The ffmpeg processes of live streaming: started from argument arrays (never a shell), their
 * stderr read line by line for the last error and the `Output #0` line (written once an output,
 * such as an RTSP publication, is open), stopped with SIGTERM then SIGKILL, and awaited. A
 * {@linkcode ProcessGroup} remembers every process it started until it has exited, so shutdown
 * and tests can wait until no ffmpeg of live streaming is left.
 *
 * @module
 */
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import { createLogger } from "../../models/log.ts";

/** Time a process gets to exit after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 1000;

/** What a live process reports while it runs. */
export interface ProcessHooks {
  /** ffmpeg opened its output (RTSP handshake done, first segment file open…). */
  onOutputOpen?: () => void;
  /** The process ended by itself (not through `stop()`), with the last error it printed. */
  onExit?: (error: string) => void;
}

/** A running live process. */
export interface LiveProcess {
  readonly pid: number;
  /** The child, for its pipes. */
  readonly child: Deno.ChildProcess;
  /** Resolves once the process has exited and its stderr is drained; never rejects. */
  readonly done: Promise<void>;
  /** Kills the process (SIGTERM, SIGKILL after {@linkcode KILL_GRACE_MS}) and awaits its exit. */
  stop(): Promise<void>;
}

/**
 * Every live process started through it, until each has exited.
 *
 * @example
 * ```ts
 * const group = new ProcessGroup();
 * const p = group.spawn("relay", args, { stdin: "piped", stdout: "null" });
 * await p.stop();
 * await group.settled();
 * ```
 */
export class ProcessGroup {
  #running = new Map<number, Promise<void>>();

  /** PIDs of processes that have not exited yet. */
  get pids(): number[] {
    return [...this.#running.keys()];
  }

  /** Resolves when every process started so far has exited. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }

  /**
   * Starts ffmpeg.
   *
   * @param name what it is, for logs (`transcoder`, `relay`…)
   * @param args its arguments
   * @param pipes which of stdin/stdout are piped (stderr always is)
   * @param hooks output-open and exit callbacks
   * @returns the process
   * @throws {Deno.errors.NotFound} when ffmpeg is not installed
   */
  spawn(
    name: string,
    args: string[],
    pipes: { stdin: "piped" | "null"; stdout: "piped" | "null" },
    hooks: ProcessHooks = {},
  ): LiveProcess {
    const log = createLogger("live", { process: name });
    const child = new Deno.Command("ffmpeg", { args, ...pipes, stderr: "piped" }).spawn();
    const parser = new StderrParser();
    let stopping = false;
    const stderr = (async () => {
      let rest = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split(/\r?\n/);
        rest = lines.pop() ?? "";
        for (const line of lines) {
          const parsed = parser.push(line);
          if (parsed.kind === "section" && /Output #0/.test(line)) hooks.onOutputOpen?.();
          if (parsed.kind === "error") {
            log.debug("ffmpeg error line", { pid: child.pid, line: parsed.message });
          }
        }
      }
    })().catch(() => {});
    const done = Promise.all([child.status, stderr]).then(([status]) => {
      this.#running.delete(child.pid);
      if (stopping) return;
      const how = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
      const error = `${name}: ffmpeg ended (${how})${
        parser.lastError ? `: ${parser.lastError}` : ""
      }`;
      log.warn("process ended", { pid: child.pid, error });
      hooks.onExit?.(error);
    });
    this.#running.set(child.pid, done);
    log.debug("process started", { pid: child.pid });
    return {
      pid: child.pid,
      child,
      done,
      async stop() {
        stopping = true;
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // exited during the grace period
          }
        }, KILL_GRACE_MS);
        await done;
        clearTimeout(timer);
      },
    };
  }
}

/**
 * Writes chunks to a process's stdin without ever blocking the caller: a bounded queue drains in
 * the background. When the process falls behind by more than `maxQueuedBytes`, writes are refused
 * (the caller then skips to the next keyframe) rather than buffered without end.
 *
 * @example
 * ```ts
 * const pipe = new StdinPipe(process.child.stdin, 4 << 20);
 * pipe.write(unit.data); // false when the process is too far behind
 * await pipe.close();
 * ```
 */
export class StdinPipe {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queued = 0;
  #broken = false;
  #tail: Promise<void> = Promise.resolve();

  /**
   * @param stdin the process's stdin
   * @param maxQueuedBytes most bytes waiting to be written
   */
  constructor(stdin: WritableStream<Uint8Array>, readonly maxQueuedBytes: number) {
    this.#writer = stdin.getWriter();
    this.#writer.closed.catch(() => {
      this.#broken = true;
    });
  }

  /** The process stopped reading (exited). */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Queues bytes.
   *
   * @param data bytes the receiver may keep
   * @returns false when not queued (pipe broken or too far behind)
   */
  write(data: Uint8Array): boolean {
    if (this.#broken || this.#queued + data.length > this.maxQueuedBytes) return false;
    this.#queued += data.length;
    this.#tail = this.#tail.then(async () => {
      try {
        await this.#writer.write(data);
      } catch {
        this.#broken = true;
      } finally {
        this.#queued -= data.length;
      }
    });
    return true;
  }

  /** Closes stdin once the queue has drained (ffmpeg then finishes its output and exits). */
  async close(): Promise<void> {
    await this.#tail;
    try {
      await this.#writer.close();
    } catch {
      // the process is gone already
    }
  }
}
