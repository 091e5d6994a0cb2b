/**
 * Live sessions on request, behind `/api/live`: each session on the shared transcoder for what it
 * asks (transcoder_pool.ts), its output (sinks.ts), quality switches without a new URL, idle
 * sessions ended, and the session budget (past `maxSessions`, a {@linkcode CapacityError}: 503).
 * A request is answered once its output is up (RTSP published, first HLS segment, first JPEG).
 *
 * @module
 */
import { join } from "node:path";
import {
  CapacityError,
  ConflictError,
  NotFoundError,
  UnavailableError,
} from "../../models/errors.ts";
import { createTranscoderPool } from "./transcoder_pool.ts";
import { getCamera } from "../../models/store/cameras.ts";
import type { Database } from "../../models/store/database.ts";
import { createLogger } from "../../models/log.ts";
import { withTimeout } from "../../models/timeout.ts";
import type { TrackBoard } from "../../models/analytics/track_board.ts";
import { Tap } from "./feed.ts";
import { ProcessGroup } from "../process/process_group.ts";
import { HlsSink, MjpegSink, RtspSink, type SessionSink } from "./sinks.ts";
import { createSessionActor } from "./session.ts";
import type { LiveSource } from "./source.ts";
import { describeSession, type LiveSession, type OpenRequest, type SessionInfo } from "./types.ts";

/** A session's output must be up within this long of the request. */
export const START_TIMEOUT_MS = 20_000;
/** How often reading is checked and cameras that went away are noticed. */
const TICK_MS = 1000;

/** The box's RTSP server, where `rtsp` sessions are published for readers to pull. */
export interface LivePublisher {
  /** The URL a local ffmpeg publishes `/live/<session>` to (with the server's internal secret). */
  publishUrl(sessionId: string): string;
  /** How many readers pull `/live/<session>` now. */
  readers(sessionId: string): number;
  /**
   * Serves `/live/<session>` with the video of relay path `from`, in the relay itself, until
   * stopped (a `source` session: no process); `started` settles at its first keyframe. An ffmpeg
   * publishing the session (an encoded quality) takes the path from it.
   */
  forward(sessionId: string, from: string): { started: Promise<void>; stop(): void };
}

/** What the manager needs. */
export interface LiveOptions {
  db: Database;
  /** The camera's analysis, for annotated sessions; throws NotFoundError for a camera gone. */
  fleet: { board(cameraId: string): TrackBoard; status(cameraId: string): { analytics: string } };
  source: LiveSource;
  /** Absent: `rtsp` output is refused (503), the other outputs work. */
  publisher?: LivePublisher;
  /** Root of the sessions' HLS directories (emptied at start). */
  dir: string;
  /** A session nobody reads for this long ends. */
  idleMs: number;
  /** Encoding transcoders at most. */
  maxTranscodes: number;
  /** Sessions at most. */
  maxSessions: number;
  /** A transcoder without sessions stays warm this long (at most `idleMs`). */
  lingerMs?: number;
}

/** The live manager. */
export interface LiveManager {
  open(request: OpenRequest): Promise<SessionInfo>;
  get(id: string): SessionInfo;
  list(): SessionInfo[];
  setQuality(id: string, quality: OpenRequest["quality"]): Promise<SessionInfo>;
  close(id: string): Promise<void>;
  /** The session's HLS sink (404 for unknown sessions and other outputs). */
  hls(id: string): HlsSink;
  /** The session's MJPEG sink. */
  mjpeg(id: string): MjpegSink;
  /** Transcoders running now, and how many of them encode. */
  counts(): { sessions: number; transcoders: number; encoding: number };
  /** The process group (tests check that no ffmpeg is left). */
  readonly processes: ProcessGroup;
  stop(): Promise<void>;
}

/**
 * Starts the live manager.
 *
 * @param options database, fleet, source and publisher seams, directory and budgets
 * @returns the manager
 */
export async function startLive(options: LiveOptions): Promise<LiveManager> {
  const log = createLogger("live");
  const group = new ProcessGroup();
  const pool = createTranscoderPool({
    ...options,
    lingerMs: Math.min(options.idleMs, options.lingerMs ?? 5000),
    group,
  });
  const sessions = new Map<string, LiveSession>();
  let opening = 0;
  await Deno.remove(options.dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(options.dir, { recursive: true });

  const find = (id: string) => {
    const session = sessions.get(id);
    if (!session) throw new NotFoundError(`live session ${id}`);
    return session;
  };
  const checkAnnotation = (request: OpenRequest) => {
    if (request.annotated && options.fleet.status(request.camera).analytics !== "attached") {
      throw new ConflictError(
        `camera ${request.camera} has no analytics attached: attach analytics ` +
          `(PUT /api/cameras/${request.camera}/analytics) to watch it annotated`,
      );
    }
  };

  const sinkFor = async (id: string, request: OpenRequest): Promise<SessionSink> => {
    switch (request.output) {
      case "rtsp-push":
        return new RtspSink(request.target!, group);
      case "rtsp": {
        const publisher = options.publisher;
        if (!publisher) throw new UnavailableError("live: this box runs no RTSP server");
        return new RtspSink(publisher.publishUrl(id), group, () => publisher.readers(id));
      }
      case "hls": {
        const dir = join(options.dir, id);
        await Deno.mkdir(dir);
        return new HlsSink(dir, group);
      }
      case "mjpeg":
        return new MjpegSink();
    }
  };

  /**
   * The relay forwards the hub's path as the session's (a `source` session): resolves once the
   * path is served from a keyframe, any earlier forwarding of the session replaced. An encoding
   * ffmpeg that publishes the session later takes the path from it (and so stops it).
   */
  const forward = async (session: LiveSession, from: string): Promise<void> => {
    const forwarding = options.publisher!.forward(session.id, from);
    try {
      await withTimeout(forwarding.started, START_TIMEOUT_MS, () =>
        new UnavailableError(
          `live: the hub path did not start within ${START_TIMEOUT_MS / 1000} s`,
        ));
    } catch (error) {
      forwarding.stop();
      throw error;
    }
    // The session may have ended while the hub's keyframe was awaited: its `complete` handler has
    // run, so nothing else would stop this forwarding, which would publish the path ownerless.
    if (!sessions.has(session.id)) {
      forwarding.stop();
      throw new ConflictError(`live session ${session.id} ended while switching`);
    }
    session.forwarding?.stop();
    session.forwarding = forwarding;
  };

  /** A session on its transcoder with its output, registered; not yet started. */
  const createSession = async (request: OpenRequest): Promise<LiveSession> => {
    const id = crypto.randomUUID();
    const transcoder = await pool.acquire(request);
    let sink: SessionSink;
    try {
      sink = await sinkFor(id, request);
    } catch (error) {
      transcoder.actor.send({ type: "RELEASE" });
      throw error;
    }
    const tap = new Tap(sink);
    const { actor, closed } = createSessionActor({ id, idleMs: options.idleMs }, tap, sink);
    const session: LiveSession = {
      id,
      request,
      transcoder,
      sink,
      tap,
      actor,
      closed,
      createdAt: new Date().toISOString(),
      switching: Promise.resolve(),
    };
    sessions.set(id, session);
    actor.subscribe({
      complete: () => {
        session.forwarding?.stop();
        sessions.delete(id);
        session.transcoder.actor.send({ type: "RELEASE" });
        log.info("live session ended", { id, because: actor.getSnapshot().context.endedBecause });
      },
    });
    return session;
  };

  const tick = setInterval(() => {
    for (const session of sessions.values()) {
      try {
        options.fleet.board(session.request.camera);
      } catch {
        session.actor.send({ type: "STOP", reason: "the camera was removed" });
        continue;
      }
      if (session.sink.reading()) session.actor.send({ type: "READ" });
    }
  }, TICK_MS);

  return {
    processes: group,
    async open(request) {
      await getCamera(options.db.sql, request.camera);
      checkAnnotation(request);
      // Sessions still starting count too, or a burst of requests would overshoot the budget.
      if (sessions.size + opening >= options.maxSessions) {
        throw new CapacityError(
          `live: ${options.maxSessions} sessions are open, the most this box allows`,
          Math.ceil(options.idleMs / 1000),
        );
      }
      opening++;
      let session: LiveSession;
      try {
        session = await createSession(request);
      } finally {
        opening--;
      }
      const { id, transcoder, tap, sink, actor, closed } = session;
      try {
        const started: Promise<unknown> = transcoder.relayFrom && sink instanceof RtspSink
          ? forward(session, transcoder.relayFrom).then(() => sink.forwarded())
          : Promise.all([tap.follow(transcoder.feed), sink.ready]);
        await withTimeout(
          started,
          START_TIMEOUT_MS,
          () =>
            new UnavailableError(
              `live: the stream did not start within ${START_TIMEOUT_MS / 1000} s` +
                (transcoder.actor.getSnapshot().context.lastError
                  ? `: ${transcoder.actor.getSnapshot().context.lastError}`
                  : ""),
            ),
        );
      } catch (error) {
        actor.send({ type: "STOP", reason: "it did not start" });
        await closed;
        throw error;
      }
      log.info("live session opened", { id, key: transcoder.key, output: request.output });
      return describeSession(session);
    },
    get: (id) => describeSession(find(id)),
    list: () => [...sessions.values()].map(describeSession),
    async setQuality(id, quality) {
      const session = find(id);
      const run = session.switching.then(async () => {
        const request = { ...session.request, quality };
        checkAnnotation(request);
        const next = await pool.acquire(request);
        if (next === session.transcoder) {
          next.actor.send({ type: "RELEASE" });
          session.request = request;
          return;
        }
        const relay = next.relayFrom && session.sink instanceof RtspSink;
        try {
          await withTimeout(
            relay ? forward(session, next.relayFrom!) : session.tap.follow(next.feed),
            START_TIMEOUT_MS,
            () =>
              new UnavailableError(
                `live: the new quality did not start within ${START_TIMEOUT_MS / 1000} s`,
              ),
          );
        } catch (error) {
          session.tap.abandon();
          next.actor.send({ type: "RELEASE" });
          throw error;
        }
        if (relay) {
          // The relay serves the path from the hub now; the encoding publisher stops.
          session.tap.close();
          await (session.sink as RtspSink).suspend();
        }
        if ((!relay && session.tap.feed !== next.feed) || !sessions.has(id)) {
          next.actor.send({ type: "RELEASE" });
          throw new ConflictError(`live session ${id} ended while switching`);
        }
        session.transcoder.actor.send({ type: "RELEASE" });
        session.transcoder = next;
        session.request = request;
        log.info("live session switched", { id, key: next.key });
      });
      session.switching = run.catch(() => {});
      await run;
      return describeSession(session);
    },
    async close(id) {
      const session = find(id);
      session.actor.send({ type: "STOP", reason: "closed by request" });
      await session.closed;
    },
    hls(id) {
      const sink = find(id).sink;
      if (!(sink instanceof HlsSink)) throw new NotFoundError(`HLS output of live session ${id}`);
      return sink;
    },
    mjpeg(id) {
      const sink = find(id).sink;
      if (!(sink instanceof MjpegSink)) {
        throw new NotFoundError(`MJPEG output of live session ${id}`);
      }
      return sink;
    },
    counts: () => ({
      sessions: sessions.size,
      ...pool.counts(),
    }),
    async stop() {
      clearInterval(tick);
      const all = [...sessions.values()];
      for (const session of all) session.actor.send({ type: "STOP", reason: "shutdown" });
      await Promise.all(all.map((s) => s.closed));
      pool.stop();
      await group.settled();
      await Deno.remove(options.dir, { recursive: true }).catch(() => {});
    },
  };
}
