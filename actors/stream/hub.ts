/**
 * The stream hub: ONE puller per distinct source URL of a camera publishes to the relay
 * (models/media/hub_plan.ts: which path serves which stream), and every consumer — capture,
 * snapshots, recording, live, outside players — reads the relay. A puller starts with the first
 * lease or reader of its path and stops `idleTimeoutMs` after the last, so a consumer restarting
 * costs no camera reconnect. Why: cameras accept 2–4 sessions (docs/decisions/own-rtsp-relay.md).
 *
 * @module
 */

import { type Actor, createActor } from "xstate";
import type { RtspDemand, RtspServer } from "./rtsp_server_types.ts";
import { pullerMachine, type PullerState, pullerState } from "./puller.ts";
import {
  type CameraSources,
  parseStreamPath,
  type PlannedStream,
  planStreams,
  STREAM_NAMES,
  type StreamName,
  streamPath,
} from "../../models/media/hub_plan.ts";
import {
  type ExtraScheme,
  validateSourceUrl,
  withCredentials,
} from "../../models/media/rtsp_url.ts";
import type { RtspTransport } from "../../models/media/ffmpeg_args.ts";
import { NotFoundError } from "../../models/errors.ts";
import { createLogger } from "../../models/log.ts";

/** Default time a puller outlives its last consumer. */
export const HUB_IDLE_MS = 10_000;

/** What the hub needs. */
export interface HubOptions {
  /** The relay the pullers publish to and consumers read from. */
  server: RtspServer;
  /**
   * The box's internal RTSP credentials (see actors/stream/rtsp_auth.ts): per action and path
   * (what the relay derives, models/relay_keys.ts), or one pair for everything (tests, benchmarks).
   */
  credentials:
    | { username: string; password: string }
    | ((action: "read" | "publish", path: string) => { username: string; password: string });
  /** How long a puller outlives its last consumer. Default {@linkcode HUB_IDLE_MS}. */
  idleTimeoutMs?: number;
  /** Camera socket timeout, ms (default: ffmpeg_args' 5 s). */
  timeoutMs?: number;
  /** No packet for this long restarts a puller (default: puller.ts's). */
  stallMs?: number;
  /** Source schemes allowed besides RTSP (benchmarks serve a clip over local HTTP). */
  allowSchemes?: readonly ExtraScheme[];
  /** ffmpeg binary. */
  ffmpegPath?: string;
}

/** A consumer's hold on a camera stream. */
export interface HubLease {
  /** The relay URL to read, internal credentials included. */
  readonly readUrl: string;
  /** The relay path asked for. */
  readonly path: string;
  /** Lets the puller stop after its idle timeout once nobody holds it. Idempotent. */
  release(): void;
}

/** What the API shows of one relay path of a camera. */
export interface HubStreamStatus {
  /** The path that publishes. */
  path: string;
  /** The stream names it serves (several when they share a URL). */
  streams: StreamName[];
  /** The puller's state; `idle` when none runs. */
  puller: PullerState;
  /** PID of the puller's ffmpeg while it runs; null when Vigil's RTSP client pulls. */
  pid: number | null;
  /** Who holds it: consumer names (internal) and `reader` per external reader. */
  consumers: string[];
  /** Readers attached to the relay path. */
  readers: number;
  bitrateKbps: number;
  packetsIn: number;
  packetsOut: number;
  packetsDropped: number;
  readersDropped: number;
  /** Puller restarts after failures. */
  reconnects: number;
  lastError: string | null;
}

/** Told whether a camera stream's source is up (its puller publishing) each time that changes. */
export type SourceListener = (up: boolean, error: string | null) => void;

interface Puller {
  cameraId: string;
  url: string;
  transport: RtspTransport | undefined;
  actor: Actor<typeof pullerMachine>;
  idle: ReturnType<typeof setTimeout> | undefined;
  /** User name its ffmpeg publishes under (`<internal user>.<random>`): who owns the path. */
  publisher: string;
}

/**
 * The hub. Create it with the relay, tell it the cameras (`setCamera`), and hand its `demand` to
 * the relay so external readers can start pullers too.
 *
 * @example
 * ```ts
 * const hub = new Hub({ server, credentials });
 * hub.setCamera("c1", { default: "rtsp://user:pw@cam/stream1" });
 * const lease = await hub.acquire("c1", {}, "snapshot");
 * // ffmpeg -rtsp_transport tcp -i lease.readUrl ...
 * lease.release();
 * await hub.stop();
 * ```
 */
export class Hub {
  readonly #options: HubOptions;
  readonly #idleMs: number;
  readonly #cameras = new Map<
    string,
    { sources: CameraSources; plan: Record<StreamName, PlannedStream> }
  >();
  /** Consumers per `camera stream`, by lease number. */
  readonly #consumers = new Map<string, Map<number, string>>();
  readonly #pullers = new Map<string, Puller>();
  /** Sessions not ended yet (an ffmpeg exiting, an RTSP client's TEARDOWN), with their camera. */
  readonly #exits = new Set<{ done: Promise<unknown>; pid: number | null; cameraId: string }>();
  readonly #watchers = new Set<
    { cameraId: string; stream: StreamName; listener: SourceListener; up: boolean | undefined }
  >();
  readonly #log = createLogger("hub");
  #leases = 0;
  #stopped = false;

  /** @param options relay, credentials, timings */
  constructor(options: HubOptions) {
    this.#options = options;
    this.#idleMs = options.idleTimeoutMs ?? HUB_IDLE_MS;
  }

  /**
   * Tells the hub a camera's sources (new camera, or changed URL, credentials or transport).
   * A running puller whose URL changed restarts on the same path (its readers continue when
   * the media are the same); readers of a stream that now comes from another path reconnect.
   *
   * @param cameraId the camera's id
   * @param sources its URLs with credentials
   * @throws {RangeError} for an id that cannot name a path
   */
  setCamera(cameraId: string, sources: CameraSources): void {
    const before = this.#cameras.get(cameraId)?.plan;
    const plan = planStreams(cameraId, sources);
    this.#cameras.set(cameraId, { sources, plan });
    if (before) {
      for (const name of STREAM_NAMES) {
        if (before[name].path !== plan[name].path) {
          this.#options.server.closeReaders(streamPath(cameraId, name));
        }
      }
    }
    this.#reconcile(cameraId);
    this.#notify();
  }

  /**
   * Follows whether a camera stream's source is up: `listener` hears the current state at once,
   * then every change. The camera's stream state comes from here, not from capture, which the
   * relay keeps attached through a publisher's absence (issue 21, finding 6).
   *
   * @param cameraId the camera's id
   * @param stream the stream name
   * @param listener called with `true` while its puller publishes and packets flow, else `false`
   *   and the puller's last error
   * @returns a function that stops the calls
   */
  watchSource(cameraId: string, stream: StreamName, listener: SourceListener): () => void {
    const watcher = { cameraId, stream, listener, up: undefined };
    this.#watchers.add(watcher);
    this.#notify();
    return () => void this.#watchers.delete(watcher);
  }

  /** Tells each watcher whose source changed. */
  #notify(): void {
    for (const watcher of this.#watchers) {
      const path = this.#cameras.get(watcher.cameraId)?.plan[watcher.stream].path;
      const snap = path === undefined ? undefined : this.#pullers.get(path)?.actor.getSnapshot();
      const up = snap !== undefined && pullerState(snap) === "publishing" && !snap.context.quiet;
      if (up === watcher.up) continue;
      watcher.up = up;
      watcher.listener(up, snap?.context.lastError ?? null);
    }
  }

  /**
   * Forgets a camera: its pullers stop now and its readers are closed.
   *
   * @param cameraId the camera's id
   * @returns a promise settling once its pullers' ffmpegs have exited
   */
  async removeCamera(cameraId: string): Promise<void> {
    this.#cameras.delete(cameraId);
    for (const name of STREAM_NAMES) this.#consumers.delete(`${cameraId} ${name}`);
    for (const [path, puller] of this.#pullers) {
      if (puller.cameraId === cameraId) this.#stopPuller(path);
    }
    for (const name of STREAM_NAMES) this.#options.server.closeReaders(streamPath(cameraId, name));
    const exits = [...this.#exits].filter((exit) => exit.cameraId === cameraId);
    await Promise.all(exits.map((exit) => exit.done));
  }

  /**
   * Takes a lease on a camera stream; its puller starts if it is not running.
   *
   * @param cameraId the camera's id
   * @param source `stream` (default `"default"`); `url` replaces that stream's source (and
   *   makes an unknown camera known)
   * @param consumer a name for the status (`capture`, `recorder`, `live:<id>`...)
   * @returns the lease: read `readUrl`, call `release()` when done
   * @throws {NotFoundError} for an unknown camera without `url`
   * @throws {ValidationError} for a bad `url`
   */
  acquire(
    cameraId: string,
    source: { url?: string; stream?: StreamName; transport?: RtspTransport },
    consumer: string,
  ): Promise<HubLease> {
    const stream = source.stream ?? "default";
    if (source.url !== undefined) {
      validateSourceUrl(source.url, { field: "url", allowSchemes: this.#options.allowSchemes });
      const known = this.#cameras.get(cameraId);
      if (!known || known.plan[stream].url !== source.url) {
        const sources: CameraSources = known
          ? { ...known.sources, [stream]: source.url }
          : { default: source.url, transport: source.transport };
        if (stream !== "default") sources[stream] = source.url;
        this.setCamera(cameraId, sources);
      }
    }
    if (!this.#cameras.has(cameraId)) {
      return Promise.reject(new NotFoundError(`camera ${cameraId} in the stream hub`));
    }
    const lease = this.#lease(cameraId, stream, consumer);
    return Promise.resolve({ ...lease, readUrl: this.readUrl(cameraId, stream) });
  }

  /**
   * The relay URL of a camera stream with the internal credentials (what internal consumers
   * read; it does not take a lease).
   *
   * @param cameraId the camera's id
   * @param stream the stream name
   * @returns `rtsp://user:secret@host:port/cam/<id>[/<stream>]`
   */
  readUrl(cameraId: string, stream: StreamName = "default"): string {
    const path = streamPath(cameraId, stream);
    return withCredentials(this.#options.server.url(path), this.#credentials("read", path));
  }

  /**
   * The relay's demand hook: a reader asked for `path`. A camera path takes a lease for as long
   * as that reader stays and resolves to the path that publishes it.
   *
   * @param path the requested path
   * @returns the lease, or undefined for a path the hub does not serve
   */
  demand(path: string): RtspDemand | undefined {
    const named = parseStreamPath(path);
    if (!named || !this.#cameras.has(named.cameraId) || this.#stopped) return undefined;
    return this.#lease(named.cameraId, named.stream, "reader");
  }

  /**
   * The relay paths of a camera with their pullers and numbers.
   *
   * @param cameraId the camera's id
   * @returns one entry per path the camera's streams use (empty for an unknown camera)
   */
  status(cameraId: string): HubStreamStatus[] {
    const camera = this.#cameras.get(cameraId);
    if (!camera) return [];
    const byPath = new Map<string, StreamName[]>();
    for (const name of STREAM_NAMES) {
      const path = camera.plan[name].path;
      byPath.set(path, [...(byPath.get(path) ?? []), name]);
    }
    return [...byPath].map(([path, streams]) => {
      const puller = this.#pullers.get(path);
      const snap = puller?.actor.getSnapshot();
      const stats = this.#options.server.stats(path);
      const consumers = streams.flatMap((s) => [
        ...(this.#consumers.get(`${cameraId} ${s}`)?.values() ?? []),
      ]);
      return {
        path,
        streams,
        puller: snap ? pullerState(snap) : "idle",
        pid: snap?.context.pid ?? null,
        consumers,
        readers: stats?.readers ?? 0,
        bitrateKbps: stats?.bitrateKbps ?? 0,
        packetsIn: stats?.packetsIn ?? 0,
        packetsOut: stats?.packetsOut ?? 0,
        packetsDropped: stats?.packetsDropped ?? 0,
        readersDropped: stats?.readersDropped ?? 0,
        reconnects: snap?.context.reconnects ?? 0,
        lastError: snap?.context.lastError ?? null,
      };
    });
  }

  /** PIDs of puller ffmpegs that have not exited. */
  get pids(): number[] {
    return [...this.#exits].flatMap((exit) => exit.pid === null ? [] : [exit.pid]);
  }

  /** Stops every puller and resolves once their sessions have ended (ffmpegs exited). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const path of [...this.#pullers.keys()]) this.#stopPuller(path);
    while (this.#exits.size > 0) await Promise.all([...this.#exits].map((exit) => exit.done));
  }

  #lease(cameraId: string, stream: StreamName, consumer: string): HubLease {
    const key = `${cameraId} ${stream}`;
    const id = ++this.#leases;
    const consumers = this.#consumers.get(key) ?? new Map<number, string>();
    this.#consumers.set(key, consumers);
    consumers.set(id, consumer);
    this.#reconcile(cameraId);
    const camera = this.#cameras.get(cameraId)!;
    let released = false;
    return {
      readUrl: "",
      path: camera.plan[stream].path,
      release: () => {
        if (released) return;
        released = true;
        this.#consumers.get(key)?.delete(id);
        this.#reconcile(cameraId);
      },
    };
  }

  /** Starts, retargets, idles or stops the camera's pullers to match its leases. */
  #reconcile(cameraId: string): void {
    if (this.#stopped) return;
    const camera = this.#cameras.get(cameraId);
    const needed = new Map<string, PlannedStream>();
    const planned = new Set<string>();
    for (const name of STREAM_NAMES) {
      const stream = camera?.plan[name];
      if (!stream) continue;
      planned.add(stream.path);
      if ((this.#consumers.get(`${cameraId} ${name}`)?.size ?? 0) > 0) {
        needed.set(stream.path, stream);
      }
    }
    for (const [path, puller] of this.#pullers) {
      if (puller.cameraId !== cameraId) continue;
      const want = needed.get(path);
      if (!planned.has(path)) {
        this.#stopPuller(path);
      } else if (!want) {
        puller.idle ??= setTimeout(() => {
          this.#log.info("puller idle: stopping", { path, afterMs: this.#idleMs });
          this.#stopPuller(path);
        }, this.#idleMs);
      } else {
        clearTimeout(puller.idle);
        puller.idle = undefined;
        if (puller.url !== want.url || puller.transport !== camera?.sources.transport) {
          this.#log.info("camera source changed: puller restarts", { path });
          this.#stopPuller(path);
        }
      }
    }
    for (const [path, want] of needed) {
      if (!this.#pullers.has(path)) this.#startPuller(cameraId, path, want.url);
    }
  }

  #credentials(action: "read" | "publish", path: string): { username: string; password: string } {
    const credentials = this.#options.credentials;
    return typeof credentials === "function" ? credentials(action, path) : credentials;
  }

  /**
   * Who may publish `path` while the hub's own puller for it is alive: the user name that puller
   * publishes under (the relay refuses anyone else, and a second connection, see
   * `RtspServerOptions.publishOwner`); undefined when the hub pulls nothing there.
   *
   * @param path a relay path
   * @returns the owning user name, or undefined
   */
  publishOwner(path: string): string | undefined {
    return this.#pullers.get(path)?.publisher;
  }

  #startPuller(cameraId: string, path: string, url: string): void {
    const credentials = this.#credentials("publish", path);
    const publisher = `${credentials.username}.${
      crypto.getRandomValues(new Uint8Array(8)).toHex()
    }`;
    const transport = this.#cameras.get(cameraId)?.sources.transport;
    const server = this.#options.server;
    const actor = createActor(pullerMachine, {
      id: `puller:${path}`,
      input: {
        url,
        transport,
        path,
        publishUrl: withCredentials(server.url(path), { ...credentials, username: publisher }),
        publish: (sdp, owner) => server.publish(path, sdp, owner),
        stats: () => server.stats(path),
        track: (ended, pid) => {
          const exit = { done: ended, pid, cameraId };
          exit.done = ended.finally(() => this.#exits.delete(exit));
          this.#exits.add(exit);
        },
        timeoutMs: this.#options.timeoutMs,
        stallMs: this.#options.stallMs,
        allowSchemes: this.#options.allowSchemes,
        ffmpegPath: this.#options.ffmpegPath,
      },
    });
    this.#pullers.set(path, { cameraId, url, transport, actor, idle: undefined, publisher });
    actor.subscribe(() => this.#notify());
    actor.start();
    this.#log.info("puller started", { camera: cameraId, path });
  }

  #stopPuller(path: string): void {
    const puller = this.#pullers.get(path);
    if (!puller) return;
    clearTimeout(puller.idle);
    this.#pullers.delete(path);
    puller.actor.stop();
    this.#notify();
  }
}
