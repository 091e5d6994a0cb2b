/**
 * Live sessions on request, behind `/api/live`: each session on the shared transcoder for what it
 * asks (transcoder_pool.ts), its output (sinks.ts), quality switches without a new URL, idle
 * sessions ended, and the session budget (past `maxSessions`, a {@linkcode CapacityError}: 503).
 * A request is answered once its output is up (RTSP published, first HLS segment, first JPEG).
 *
 * Every session has an owner, the token that opened it: one token (an admin's excepted) holds at
 * most `maxSessionsPerToken` sessions and is the only user of at most half the encoding
 * transcoders (at least one), so it cannot spend the box's budgets alone; its sessions end within
 * `recheckMs` of its revocation, whatever their output. A push goes only where
 * actors/live/push_check.ts allows. Why: docs/decisions/live-session-owners.md.
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
import { createLogger } from "../../models/log.ts";
import { withTimeout } from "../../models/timeout.ts";
import { tokenExists } from "../../models/auth.ts";
import { pushUrl } from "../../models/net/push_target.ts";
import { checkPushTarget } from "./push_check.ts";
import { Tap } from "./feed.ts";
import { ProcessGroup } from "../process/process_group.ts";
import { HlsSink, MjpegSink, RtspSink, type SessionSink } from "./sinks.ts";
import { createSessionActor } from "./session.ts";
import type { LiveManager, LiveOptions } from "./manager_api.ts";
import { describeSession, type LiveSession, type OpenRequest } from "./types.ts";
import type { Transcoder } from "./transcoder.ts";

/** A session's output must be up within this long of the request. */
export const START_TIMEOUT_MS = 20_000;
/** How often reading is checked and cameras that went away are noticed. */
const TICK_MS = 1000;
/** Default of {@linkcode LiveOptions.recheckMs}. */
export const RECHECK_MS = 15_000;
/** A token check that takes longer counts as "still there" and is asked again next time. */
const RECHECK_TIMEOUT_MS = 5000;

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
  /** Sessions being opened, per owner (they count against the budgets already). */
  const opening = new Map<string, number>();
  const openingTotal = () => [...opening.values()].reduce((a, b) => a + b, 0);
  const perToken = options.maxSessionsPerToken ?? options.maxSessions;
  const encodersPerToken = Math.max(1, Math.floor(options.maxTranscodes / 2));
  /** Admins (and everyone with authentication off) are held to the box's budgets only. */
  const limited = (request: OpenRequest) => request.owner !== "" && !request.ownerIsAdmin;
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
        return new RtspSink(pushUrl(request.target!), group);
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
    try {
      checkEncoderShare(request, transcoder);
    } catch (error) {
      transcoder.actor.send({ type: "RELEASE" });
      throw error;
    }
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

  /**
   * Refuses a token a new encoding transcoder when it is already the only user of its share.
   *
   * @param request what the token asks (its owner)
   * @param next the transcoder it acquired
   * @param leaving the transcoder it switches away from, if any
   */
  const checkEncoderShare = (request: OpenRequest, next: Transcoder, leaving?: Transcoder) => {
    const { owner } = request;
    if (!limited(request) || next.spec.plan.mode !== "encode") return;
    const users = new Map<Transcoder, Set<string>>();
    for (const s of sessions.values()) {
      const set = users.get(s.transcoder) ?? new Set();
      set.add(s.request.owner);
      users.set(s.transcoder, set);
    }
    if (users.has(next)) return;
    let alone = 0;
    for (const [transcoder, owners] of users) {
      const own = owners.size === 1 && owners.has(owner);
      if (own && transcoder !== leaving && transcoder.spec.plan.mode === "encode") alone++;
    }
    if (alone >= encodersPerToken) {
      throw new CapacityError(
        `live: this token alone uses ${alone} encoding transcoders, the most one token may ` +
          `(half of VIGIL_LIVE_MAX_TRANSCODES): ask for a quality it already watches, or source`,
        Math.ceil(options.idleMs / 1000),
      );
    }
  };

  /** Ends the sessions of owners whose token was revoked; a slow or failed check waits. */
  let rechecking = false;
  const recheckOwners = async () => {
    if (rechecking) return;
    rechecking = true;
    try {
      const owners = new Set([...sessions.values()].map((s) => s.request.owner));
      owners.delete("");
      for (const owner of owners) {
        const exists = await withTimeout(
          tokenExists(options.db.sql, owner),
          RECHECK_TIMEOUT_MS,
          () => new UnavailableError(`live: no answer within ${RECHECK_TIMEOUT_MS} ms`),
        ).catch((error) => {
          log.warn("token re-check failed; asking again later", { error });
          return true;
        });
        if (exists) continue;
        for (const session of sessions.values()) {
          if (session.request.owner !== owner) continue;
          session.actor.send({ type: "STOP", reason: "the token that opened it was revoked" });
        }
      }
    } finally {
      rechecking = false;
    }
  };
  const recheck = setInterval(() => void recheckOwners(), options.recheckMs ?? RECHECK_MS);

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
      if (request.target) {
        await checkPushTarget(request.target, {
          allow: options.pushAllow ?? [],
          ownPorts: options.ownPorts ?? (() => []),
        });
      }
      // Sessions still starting count too, or a burst of requests would overshoot the budget.
      if (sessions.size + openingTotal() >= options.maxSessions) {
        throw new CapacityError(
          `live: ${options.maxSessions} sessions are open, the most this box allows`,
          Math.ceil(options.idleMs / 1000),
        );
      }
      const { owner } = request;
      const owned = [...sessions.values()].filter((s) => s.request.owner === owner).length;
      if (limited(request) && owned + (opening.get(owner) ?? 0) >= perToken) {
        throw new CapacityError(
          `live: this token holds ${perToken} sessions, the most one token may ` +
            `(VIGIL_LIVE_SESSIONS_PER_TOKEN): end one first`,
          Math.ceil(options.idleMs / 1000),
        );
      }
      opening.set(owner, (opening.get(owner) ?? 0) + 1);
      let session: LiveSession;
      try {
        session = await createSession(request);
      } finally {
        const left = (opening.get(owner) ?? 1) - 1;
        if (left > 0) opening.set(owner, left);
        else opening.delete(owner);
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
        // It ended while an earlier switch ran: nothing to switch, nothing to acquire.
        if (!sessions.has(id)) throw new NotFoundError(`live session ${id}`);
        const request = { ...session.request, quality };
        checkAnnotation(request);
        const next = await pool.acquire(request);
        if (!sessions.has(id)) {
          next.actor.send({ type: "RELEASE" });
          throw new NotFoundError(`live session ${id}`);
        }
        try {
          checkEncoderShare(request, next, session.transcoder);
        } catch (error) {
          next.actor.send({ type: "RELEASE" });
          throw error;
        }
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
    async endCameraSessions(cameraId, reason) {
      const ending = [...sessions.values()].filter((s) => s.request.camera === cameraId);
      for (const session of ending) session.actor.send({ type: "STOP", reason });
      await Promise.all(ending.map((s) => s.closed));
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
      clearInterval(recheck);
      const all = [...sessions.values()];
      for (const session of all) session.actor.send({ type: "STOP", reason: "shutdown" });
      await Promise.all(all.map((s) => s.closed));
      pool.stop();
      await group.settled();
      await Deno.remove(options.dir, { recursive: true }).catch(() => {});
    },
  };
}
