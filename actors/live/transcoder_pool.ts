/**
 * The shared transcoders of live sessions, one per (camera, quality, annotation, delivery). A
 * session acquires the transcoder for what it asks (starting it if needed: the camera stream is
 * acquired from the source seam, probed, and planned — see models/media/quality.ts) and releases
 * it when it ends or switches away; the transcoder stops itself after lingering unused.
 *
 * Budget: at most `maxTranscodes` transcoders that encode. Stream copies are nearly free and do
 * not count; a plain `source` session on the box's relay runs no process at all (its path forwards
 * the hub's). Past the budget a lingering (unused) encoder is stopped to make room; if none is,
 * the request fails with a {@linkcode CapacityError}.
 *
 * @module
 */
import { CapacityError } from "../../models/errors.ts";
import { getCamera } from "../../models/store/cameras.ts";
import type { Database } from "../../models/store/database.ts";
import {
  cameraStreams,
  chooseStream,
  planLive,
  type ProbedStream,
} from "../../models/media/quality.ts";
import { probeStream } from "../process/ffprobe.ts";
import type { TrackBoard } from "../../models/analytics/track_board.ts";
import { createLogger } from "../../models/log.ts";
import type { ProcessGroup } from "../process/process_group.ts";
import type { LiveSource } from "./source.ts";
import { createTranscoder, type Transcoder } from "./transcoder.ts";
import { type OpenRequest, transcoderKey } from "./types.ts";

/**
 * How a request is served: JPEG frames, H.264 units through a feed, or — a plain `source` session
 * on the box's relay — the hub's path forwarded in the relay (no process, no feed).
 */
function deliveryOf(request: OpenRequest, quality: string): "h264" | "jpeg" | "relay" {
  if (request.output === "mjpeg") return "jpeg";
  return request.output === "rtsp" && quality === "source" && !request.annotated ? "relay" : "h264";
}

/** A probed camera stream is trusted this long (quality switches skip the probe). */
const PROBE_TTL_MS = 60_000;

/** What the pool needs. */
export interface PoolOptions {
  db: Database;
  /** Annotated transcoders draw what the camera's analysis posts on its board. */
  fleet: { board(cameraId: string): TrackBoard };
  source: LiveSource;
  group: ProcessGroup;
  maxTranscodes: number;
  lingerMs: number;
}

/** The pool. */
export interface TranscoderPool {
  /**
   * The running transcoder for a request, with one more reference (send it `RELEASE` when done).
   *
   * @throws {NotFoundError} for an unknown camera
   * @throws {CapacityError} past the encode budget
   * @throws {UnavailableError} when the camera stream cannot be read
   */
  acquire(request: OpenRequest): Promise<Transcoder>;
  /** Transcoders running, and how many encode. */
  counts(): { transcoders: number; encoding: number };
  /** Stops every transcoder (their processes are in the group). */
  stop(): void;
}

/**
 * @param options database, fleet, source seam, process group, budget and linger
 * @returns the pool
 */
export function createTranscoderPool(options: PoolOptions): TranscoderPool {
  const log = createLogger("live");
  const transcoders = new Map<string, Transcoder>();
  const creating = new Map<string, Promise<Transcoder>>();
  const probes = new Map<string, { at: number; probed: ProbedStream }>();
  const encoding = () => [...transcoders.values()].filter((t) => t.spec.plan.mode === "encode");

  const makeRoom = () => {
    if (encoding().length < options.maxTranscodes) return;
    const idle = encoding().find((t) => t.actor.getSnapshot().context.refs === 0);
    if (!idle) {
      throw new CapacityError(
        `live: ${options.maxTranscodes} transcodes are running, the most this box allows`,
        Math.ceil(options.lingerMs / 1000) + 1,
      );
    }
    idle.actor.send({ type: "STOP" });
  };

  const start = async (request: OpenRequest, key: string): Promise<Transcoder> => {
    const camera = await getCamera(options.db.sql, request.camera);
    const chosen = chooseStream(request.quality, cameraStreams(camera.onvif));
    const source = await options.source(camera, chosen.stream, `live:${key}`);
    try {
      const probeKey = `${camera.id}|${chosen.stream}|${source.url}`;
      let probe = probes.get(probeKey);
      if (!probe || Date.now() - probe.at > PROBE_TTL_MS) {
        probe = { at: Date.now(), probed: await probeStream(source) };
        probes.set(probeKey, probe);
      }
      const delivery = request.output === "mjpeg" ? "jpeg" : "h264";
      const plan = planLive(
        { quality: chosen.quality, annotated: request.annotated, delivery },
        chosen.stream,
        probe.probed,
      );
      const relay = key.endsWith("|relay") && plan.mode === "copy" ? source.path : undefined;
      if (plan.mode === "encode") makeRoom();
      const board = request.annotated ? options.fleet.board(camera.id) : undefined;
      const transcoder = createTranscoder(
        { key, lingerMs: options.lingerMs },
        {
          plan,
          source: { url: source.url, transport: source.transport },
          board,
        },
        options.group,
        relay,
      );
      transcoders.set(key, transcoder);
      transcoder.actor.subscribe({
        complete: () => {
          if (transcoders.get(key) === transcoder) transcoders.delete(key);
          source.release();
          log.info("transcoder stopped", { key });
        },
      });
      log.info("transcoder started", { key, ...plan });
      return transcoder;
    } catch (error) {
      source.release();
      throw error;
    }
  };

  return {
    async acquire(request) {
      const camera = await getCamera(options.db.sql, request.camera);
      const { quality } = chooseStream(request.quality, cameraStreams(camera.onvif));
      const key = transcoderKey(
        camera.id,
        quality,
        request.annotated,
        deliveryOf(request, quality),
      );
      const existing = transcoders.get(key) ?? await creating.get(key);
      if (existing) {
        existing.actor.send({ type: "ACQUIRE" });
        if (existing.state() !== "stopped") return existing;
        // It stopped (its linger ran out) just now: start a new one.
        if (transcoders.get(key) === existing) transcoders.delete(key);
      }
      const pending = start(request, key);
      creating.set(key, pending);
      try {
        const transcoder = await pending;
        transcoder.actor.send({ type: "ACQUIRE" });
        return transcoder;
      } finally {
        creating.delete(key);
      }
    },
    counts: () => ({ transcoders: transcoders.size, encoding: encoding().length }),
    stop() {
      for (const transcoder of [...transcoders.values()]) transcoder.actor.send({ type: "STOP" });
    },
  };
}
