/**
 * A child's stdin fed without blocking the feeder (live sessions write media units into ffmpeg).
 *
 * @module
 */

/**
 * Writes chunks to a process's stdin without ever blocking the caller: a bounded queue drains in
 * the background. When the process falls behind by more than `maxQueuedBytes`, writes are refused
 * (the caller then skips to the next keyframe) rather than buffered without end.
 *
 * @example
 * ```ts
 * const pipe = new StdinPipe(child.stdin, 4 << 20);
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
