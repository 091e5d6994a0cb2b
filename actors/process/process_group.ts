/**
 * A registry of children: every child started or tracked through a group is remembered until it
 * has exited, so shutdown and tests can wait until none is left.
 *
 * @module
 */
import { ChildProcess, spawnChild, type SpawnOptions } from "./child.ts";

/**
 * Children that have not exited yet.
 *
 * @example
 * ```ts
 * const group = new ProcessGroup();
 * const child = group.spawn("ffmpeg", { args, stdin: "piped" });
 * await child.stop();
 * await group.settled();
 * ```
 */
export class ProcessGroup {
  #running = new Map<number, Promise<void>>();

  /** PIDs of children that have not exited yet. */
  get pids(): number[] {
    return [...this.#running.keys()];
  }

  /** Resolves when every child started or tracked so far has exited. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }

  /**
   * Starts a child and tracks it until {@linkcode ChildProcess.done}.
   *
   * @param program a name looked up in PATH, or a path
   * @param options see {@linkcode spawnChild}
   * @returns the running child
   * @throws {Deno.errors.NotFound} when the program is not installed
   */
  spawn(program: string, options: SpawnOptions = {}): ChildProcess {
    const child = spawnChild(program, options);
    this.track(child.pid, child.done);
    return child;
  }

  /**
   * Tracks a child until `done` settles (when its end includes more than the exit, such as its
   * stdout read to the end).
   *
   * @param pid the child's PID
   * @param done settles when the child is over
   */
  track(pid: number, done: Promise<unknown>): void {
    // Forgotten in the first reaction to `done`, so whoever awaits `done` sees it gone.
    const forget = () => void this.#running.delete(pid);
    this.#running.set(pid, done.then(forget, forget));
  }
}
