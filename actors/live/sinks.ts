/**
 * The outputs a live session's tap writes into: {@linkcode RtspSink} (a `-c copy` ffmpeg
 * publishing to the relay or pushing to a media server, kept across quality switches, restarted
 * with backoff; suspended while a `source` session's path is forwarded in the relay instead), {@linkcode HlsSink} (MPEG-TS segments; Vigil keeps the playlist, and a switch
 * starts a new segmenter marked as a discontinuity) and {@linkcode MjpegSink} (JPEGs to every open
 * `multipart/x-mixed-replace` response).
 *
 * @module
 */
import { backoffDelay } from "../../models/backoff.ts";
import type { Feed, MediaUnit, TapSink } from "./feed.ts";
import type { ChildProcess } from "../process/child.ts";
import { readLines } from "../process/lines.ts";
import type { ProcessGroup } from "../process/process_group.ts";
import { StdinPipe } from "../process/stdin_pipe.ts";
import { spawnLive } from "./live_process.ts";
import { relayArgs, segmenterArgs } from "../../models/media/live_args.ts";
import type { CopyCodec } from "../../models/media/quality.ts";
import {
  addSegment,
  emptyWindow,
  type HlsWindow,
  parseSegmentLine,
  renderPlaylist,
} from "../../models/media/hls_playlist.ts";
import { mjpegPart } from "../../models/media/jpeg_stream.ts";
import { createLogger } from "../../models/log.ts";

/** Most bytes queued towards a session process before it counts as behind (~2 s at 1080p). */
const MAX_QUEUED_BYTES = 2 * 1024 * 1024;

/** A session output. */
export interface SessionSink extends TapSink {
  /** Resolves once the output is up: RTSP published, first segment listed, first JPEG sent. */
  readonly ready: Promise<void>;
  /** Whether someone is reading it now (for the idle timeout). */
  reading(): boolean;
  /** Stops the output and removes its files; awaits its process. */
  close(): Promise<void>;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface Relay {
  live?: ChildProcess;
  pipe?: StdinPipe;
  codec: CopyCodec;
  /** The RTSP handshake is done. */
  open: boolean;
}

/** Publishes a session over RTSP. */
export class RtspSink implements SessionSink {
  #process: Relay | undefined;
  #ready = deferred();
  #closed = false;
  #failures = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #log = createLogger("live", { output: "rtsp" });
  readonly ready: Promise<void> = this.#ready.promise;
  /** Publications started after the first (server dropped us, codec changed). */
  restarts = 0;

  /**
   * @param target where to publish (credentials allowed; never logged)
   * @param group the live process group
   * @param readers how many read the publication, when the server can tell (the box's own)
   */
  constructor(
    readonly target: string,
    readonly group: ProcessGroup,
    readonly readers?: () => number,
  ) {}

  reading(): boolean {
    if (this.readers) return this.readers() > 0;
    // Pushing to a media server: it reads as long as it keeps the publication.
    return this.#process?.open === true;
  }

  switched(feed: Feed): void {
    const codec = feed.codec === "h265" ? "h265" : "h264";
    // A new codec cannot follow in-band: publish again (readers reconnect).
    if (this.#process && this.#process.codec !== codec) void this.#restart(codec);
    if (!this.#process && !this.#retry) this.#start(codec);
  }

  write(unit: MediaUnit): boolean {
    return this.#process?.pipe?.write(unit.data) ?? false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.suspend();
    this.#ready.resolve();
  }

  /**
   * The relay serves the session's path itself now (a `source` session forwarded in process):
   * the output is up without a process of its own.
   */
  forwarded(): void {
    this.#ready.resolve();
  }

  /** Stops publishing until the next feed is switched in (the relay forwards the path meanwhile). */
  async suspend(): Promise<void> {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const current = this.#process;
    this.#process = undefined;
    await current?.live?.stop();
  }

  #start(codec: CopyCodec): void {
    if (this.#closed) return;
    const entry: Relay = { codec, open: false };
    const live = spawnLive(
      this.group,
      "relay",
      relayArgs({ codec, target: this.target }),
      { stdin: "piped", stdout: "null" },
      {
        onOutputOpen: () => {
          entry.open = true;
          this.#failures = 0;
          this.#ready.resolve();
        },
        onExit: (error) => {
          if (this.#process !== entry) return;
          this.#process = undefined;
          this.#failures++;
          this.#log.warn("publication ended; publishing again", { error });
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            this.restarts++;
            this.#start(codec);
          }, backoffDelay(this.#failures, { baseMs: 500, maxMs: 5000 }));
        },
      },
    );
    entry.live = live;
    entry.pipe = new StdinPipe(live.stdin, MAX_QUEUED_BYTES);
    this.#process = entry;
  }

  async #restart(codec: CopyCodec): Promise<void> {
    const old = this.#process;
    this.#process = undefined;
    this.restarts++;
    this.#start(codec);
    await old?.live?.stop();
  }
}

/** Cuts a session into HLS segments and keeps its playlist. */
export class HlsSink implements SessionSink {
  #window: HlsWindow = emptyWindow();
  #run = 0;
  #msn = 0;
  #segmenter: { live: ChildProcess; pipe: StdinPipe; listed: Promise<void> } | undefined;
  #codec: CopyCodec = "h264";
  #lastStart = 0;
  /** Every segmenter started and not yet exited (an old one finishes its last segment). */
  #running = new Set<ChildProcess>();
  #ready = deferred();
  #closed = false;
  #lastRequest = 0;
  #files = new Map<string, number>();
  #log = createLogger("live", { output: "hls" });
  readonly ready: Promise<void> = this.#ready.promise;

  /**
   * @param dir the session's own directory (absolute; made from a checked session id)
   * @param group the live process group
   */
  constructor(readonly dir: string, readonly group: ProcessGroup) {}

  /** A player fetched the playlist or a segment. */
  touch(): void {
    this.#lastRequest = Date.now();
  }

  reading(): boolean {
    return Date.now() - this.#lastRequest < 5000;
  }

  /** The current playlist. */
  playlist(): string {
    return renderPlaylist(this.#window);
  }

  /**
   * The path of a segment that is listed or lingering — anything else is unknown.
   *
   * @param name a file name from the request
   * @returns the absolute path, or undefined
   */
  segmentPath(name: string): string | undefined {
    return this.#files.has(name) ? `${this.dir}/${name}` : undefined;
  }

  switched(feed: Feed): void {
    this.#startRun(feed.codec === "h265" ? "h265" : "h264");
  }

  /** A new segmenter (a switch, or the last one died): its first segment is a discontinuity. */
  #startRun(codec: CopyCodec): void {
    if (this.#closed) return;
    this.#codec = codec;
    const old = this.#segmenter;
    this.#run++;
    const run = this.#run;
    // The old segmenter's last segment must be listed before the new one's first.
    const previous = old ? old.listed : Promise.resolve();
    // The first segment of every run but the first follows a switch (or a restart).
    const discontinuity = run > 1;
    let first = true;
    this.#lastStart = Date.now();
    const live = spawnLive(
      this.group,
      "segmenter",
      segmenterArgs({ codec, dir: this.dir, prefix: `r${run}-` }),
      { stdin: "piped", stdout: "piped" },
      { onExit: (error) => this.#log.warn("segmenter ended", { error }) },
    );
    this.#running.add(live);
    void live.done.then(() => this.#running.delete(live));
    const listed = (async () => {
      await previous;
      for await (const line of readLines(live.stdout)) {
        const segment = parseSegmentLine(line);
        if (!segment || this.#closed) continue;
        this.#add(segment.file, segment.duration, discontinuity && first);
        first = false;
      }
    })().catch(() => {});
    this.#segmenter = { live, pipe: new StdinPipe(live.stdin, MAX_QUEUED_BYTES), listed };
    // The old segmenter finishes its last segment when its input ends.
    if (old) void old.pipe.close();
  }

  write(unit: MediaUnit): boolean {
    const segmenter = this.#segmenter;
    if (segmenter && !segmenter.pipe.broken) return segmenter.pipe.write(unit.data);
    // The segmenter died (disk full, killed): start another at a keyframe, at most once a second.
    if (!unit.keyframe || this.#closed || Date.now() - this.#lastStart < 1000) return false;
    this.#startRun(this.#codec);
    return this.#segmenter?.pipe.write(unit.data) ?? false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#segmenter = undefined;
    await Promise.all([...this.#running].map((p) => p.stop()));
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    this.#files.clear();
    this.#ready.resolve();
  }

  #add(file: string, duration: number, discontinuity: boolean): void {
    const step = addSegment(this.#window, { seq: this.#msn++, file, duration, discontinuity });
    this.#window = step.window;
    this.#files.set(file, Date.now());
    for (const gone of step.expired) {
      this.#files.delete(gone.file);
      void Deno.remove(`${this.dir}/${gone.file}`).catch(() => {});
    }
    this.#ready.resolve();
  }
}

/** Sends JPEG frames to open multipart responses. */
export class MjpegSink implements SessionSink {
  /** Each open response's controller, and what ends it (listeners removed, `onEnd` called). */
  #clients = new Map<ReadableStreamDefaultController<Uint8Array>, () => void>();
  #ready = deferred();
  #last: Uint8Array | undefined;
  readonly ready: Promise<void> = this.#ready.promise;

  reading(): boolean {
    return this.#clients.size > 0;
  }

  /** Number of open responses. */
  get clients(): number {
    return this.#clients.size;
  }

  switched(): void {}

  write(unit: MediaUnit): boolean {
    const part = mjpegPart(unit.data);
    this.#last = part;
    for (const client of this.#clients.keys()) {
      // A viewer on a slow link misses frames instead of growing a queue.
      if ((client.desiredSize ?? 0) > 0) client.enqueue(part);
    }
    this.#ready.resolve();
    return true;
  }

  /**
   * A new response body: starts with the latest frame, then every new one, until the client
   * goes away, `signal` aborts or the session ends. However it ends, its listener on `signal` is
   * removed and `onEnd` runs once, so a long-lived signal (the server's shutdown) does not
   * collect one listener per request.
   *
   * @param signal ends the response (server shutdown, a revoked token)
   * @param onEnd called once when the response ends
   * @returns the body stream
   */
  open(signal?: AbortSignal, onEnd?: () => void): ReadableStream<Uint8Array> {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const end = () => {
      if (!controller || !this.#clients.delete(controller)) return;
      signal?.removeEventListener("abort", end);
      try {
        controller.close();
      } catch {
        // already closed
      }
      onEnd?.();
    };
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#clients.set(c, end);
        if (this.#last) c.enqueue(this.#last);
        if (signal?.aborted) return end();
        signal?.addEventListener("abort", end, { once: true });
      },
      cancel: () => end(),
    }, new CountQueuingStrategy({ highWaterMark: 2 }));
  }

  close(): Promise<void> {
    for (const end of [...this.#clients.values()]) end();
    this.#ready.resolve();
    return Promise.resolve();
  }
}
