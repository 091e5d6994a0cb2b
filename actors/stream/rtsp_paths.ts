/**
 * The paths of Vigil's RTSP server: the stream of each published path, kept for its readers for a
 * grace period after its publisher leaves, and the readers waiting for a demanded path to be
 * published.
 *
 * @module
 */

import { Stream, type StreamPublisher } from "./rtsp_stream.ts";
import type { RtspLimits } from "./rtsp_server_types.ts";
import type { Sdp } from "../../models/rtsp/sdp.ts";

/** The streams of a server by path. */
export class StreamPaths {
  #streams = new Map<string, Stream>();
  #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #waiters = new Map<string, Set<() => void>>();
  readonly #limits: Pick<RtspLimits, "gopCacheBytes" | "publisherGraceMs">;

  /**
   * @param limits the keyframe cache of a stream and the grace after its publisher left
   * @param switchable paths whose publishers may change codec parameters under their readers
   */
  constructor(
    limits: Pick<RtspLimits, "gopCacheBytes" | "publisherGraceMs">,
    readonly switchable: (path: string) => boolean = () => false,
  ) {
    this.#limits = limits;
  }

  /**
   * The stream of a path.
   *
   * @param path the path
   * @returns its stream, or undefined when it is neither published nor kept for its readers
   */
  get(path: string): Stream | undefined {
    return this.#streams.get(path);
  }

  /** The paths currently known. */
  names(): string[] {
    return [...this.#streams.keys()];
  }

  /**
   * The stream of a path, once it is published.
   *
   * @param path the path
   * @param ms how long to wait
   * @returns the stream, or undefined when nobody published it in time (or the server closed)
   */
  waitFor(path: string, ms: number): Promise<Stream | undefined> {
    const found = this.#streams.get(path);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const set = this.#waiters.get(path) ?? new Set();
      this.#waiters.set(path, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(path) === set) this.#waiters.delete(path);
        resolve(this.#streams.get(path));
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  /**
   * A publisher takes a path: its stream is created, or the existing one (kept for its readers, or
   * still published by another connection) gets the new publisher. Readers waiting for the path
   * are woken.
   *
   * @param path the path
   * @param conn the publisher
   * @param sdp its description
   * @returns the stream, and how many of its readers were closed (the media differ)
   */
  publish(path: string, conn: StreamPublisher, sdp: Sdp): { stream: Stream; closed: number } {
    let stream = this.#streams.get(path);
    let closed = 0;
    if (stream) {
      closed = stream.publish(conn, sdp);
    } else {
      stream = new Stream(path, sdp, this.#limits.gopCacheBytes, this.switchable(path));
      stream.publish(conn, sdp);
      this.#streams.set(path, stream);
    }
    clearTimeout(this.#graceTimers.get(path));
    this.#graceTimers.delete(path);
    this.#wake(path);
    return { stream, closed };
  }

  /**
   * A stream lost its publisher ({@linkcode Stream.unpublish}): it goes at once without readers;
   * with readers it stays for the grace period, then goes and closes them unless a publisher came.
   *
   * @param stream the stream
   */
  unpublished(stream: Stream): void {
    if (stream.readers.size === 0) {
      this.#streams.delete(stream.path);
      return;
    }
    this.#graceTimers.set(
      stream.path,
      setTimeout(() => {
        this.#graceTimers.delete(stream.path);
        if (this.#streams.get(stream.path) === stream && !stream.publisher) {
          this.#remove(stream.path);
        }
      }, this.#limits.publisherGraceMs),
    );
  }

  /** Stops the grace timers and wakes every waiting reader (empty-handed). */
  close(): void {
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
    for (const path of [...this.#waiters.keys()]) this.#wake(path);
  }

  /** Forgets every stream (once their connections are closed). */
  clear(): void {
    this.#streams.clear();
  }

  #remove(path: string): void {
    const stream = this.#streams.get(path);
    if (!stream) return;
    this.#streams.delete(path);
    clearTimeout(this.#graceTimers.get(path));
    this.#graceTimers.delete(path);
    for (const reader of [...stream.readers]) reader.conn.close("server");
  }

  #wake(path: string): void {
    const set = this.#waiters.get(path);
    if (!set) return;
    this.#waiters.delete(path);
    for (const wake of set) wake();
  }
}
