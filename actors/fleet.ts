/**
 * The fleet: the supervisor of every camera actor on this box. One actor per camera row, with the
 * resources that outlive a state of the actor: its detections and events writers and its event
 * recorder. Actors are created and stopped as cameras are added and removed, and at start the
 * operator's desired state (capturing, analytics — stored with the camera) is restored, so a
 * restart of the server resumes what was running.
 *
 * Decisions:
 * - A new camera does not capture until asked (videoCapture `start`): adding a camera and pulling
 *   its stream are separate operations. The choice is remembered across restarts.
 * - Attaching analytics starts capture (there is nothing to analyse otherwise); stopping capture
 *   detaches analytics.
 * - Capture runs at {@linkcode ANALYSIS_FPS}, or at the analytics fps when that is higher (which
 *   restarts ffmpeg once); other settings changes apply without touching capture.
 * - Capture and one-shot snapshots read the camera through the stream hub (actors/hub.ts), never
 *   the camera itself: the camera sees one session per stream whatever reads it. A capturing
 *   camera holds a hub lease while its stream is active, so capture's own restarts never cost a
 *   camera reconnect; a changed source URL restarts the hub's puller, not capture.
 *
 * @module
 */
import type { Database } from "../models/store/database.ts";
import type { SecretBox } from "../models/secret_box.ts";
import {
  allCameras,
  type Camera as CameraRow,
  getSealedPassword,
  updateDesired,
} from "../models/store/cameras.ts";
import { withCredentials } from "../models/media/rtsp_url.ts";
import { cameraSnapshot } from "../models/media/snapshot.ts";
import { cameraSources } from "../models/media/hub_plan.ts";
import { fromCallback } from "xstate";
import { NotFoundError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";
import { type AnalyticsSettings, parseAnalyticsSettings } from "../models/analytics/settings.ts";
import { type DetectionRow, DETECTIONS } from "../models/store/detections.ts";
import { type EventRow, EVENTS } from "../models/store/events.ts";
import type { EventBus } from "../models/event_bus.ts";
import { BatchWriter, type WriterStats } from "./writer.ts";
import { type Camera, type CameraSummary, createCamera } from "./camera.ts";
import { type AnalysisStats, createAnalysisLogic, emptyAnalysisStats } from "./analysis.ts";
import { createEventRecorder, type EventRecorder, type FeedMessage } from "./event_recorder.ts";
import type { DetectorPool } from "./detector_pool.ts";
import type { Hub, HubStreamStatus } from "./hub.ts";
import { TrackBoard } from "../models/analytics/track_board.ts";

/** Analysis frames: size and rate every camera captures at unless analytics asks for more. */
export const ANALYSIS_WIDTH = 640;
export const ANALYSIS_HEIGHT = 360;
export const ANALYSIS_FPS = 5;
/** How long a one-shot snapshot of a camera that is not capturing may take. */
export const SNAPSHOT_TIMEOUT_MS = 5000;

/** What the fleet needs. */
export interface FleetOptions {
  db: Database;
  secrets: SecretBox;
  dataDir: string;
  detectors: DetectorPool;
  /** The live event feed. */
  events: EventBus<FeedMessage>;
  /** The stream hub every capture and snapshot reads through. */
  hub: Hub;
  /** Stall watchdog per camera (default: the capture's). */
  stallMs?: number;
  /** Capture rate before analytics asks for more (default {@linkcode ANALYSIS_FPS}). */
  captureFps?: number;
}

/** A camera's state as the API shows it: the actor's summary plus analysis and writer numbers. */
export interface CameraStatus extends CameraSummary {
  /** PID of the camera's ffmpeg while capturing (for operators tracing a process). */
  ffmpegPid: number | null;
  analysis: AnalysisStats | null;
  backlog: { detections: WriterStats; events: WriterStats } | null;
  /** The camera's relay paths: puller state, readers, bitrate, packets forwarded and dropped. */
  hub: HubStreamStatus[];
}

/** The supervisor's interface, as routes and main.ts use it. */
export interface Fleet {
  /** Creates an actor per stored camera and restores what each was doing. */
  start(): Promise<void>;
  /** Starts supervising a new camera (idle until capture starts). */
  add(camera: CameraRow): Promise<void>;
  /** Applies a changed source (URL, credentials, transport): a capturing camera reconnects. */
  update(camera: CameraRow): Promise<void>;
  /** Stops a camera's actor, awaits its ffmpeg and flushes its writers. Unknown ids are ignored. */
  remove(id: string): Promise<void>;
  /**
   * videoCapture: starts or stops pulling a camera's stream, and remembers the choice.
   * @throws {NotFoundError}
   */
  capture(id: string, action: "start" | "stop"): Promise<void>;
  /**
   * attachAnalytics with validated settings (also when already attached: new settings apply).
   * @throws {NotFoundError}
   */
  attachAnalytics(id: string, settings: AnalyticsSettings): Promise<void>;
  /**
   * detachAnalytics: stops inference and closes open events.
   * @throws {NotFoundError}
   */
  detachAnalytics(id: string): Promise<void>;
  /** The live analysis numbers of a camera, or null when detached. */
  analysisStats(id: string): AnalysisStats | null;
  /**
   * What a camera's analysis currently sees, for annotated live streams.
   * @throws {NotFoundError}
   */
  board(id: string): TrackBoard;
  /** The API view of a camera's state. */
  status(id: string): CameraStatus;
  /**
   * A current JPEG: the latest frame when capturing, otherwise a one-shot grab.
   * @throws {NotFoundError}
   * @throws {UnavailableError} when the camera gives no frame in time
   */
  snapshot(id: string): Promise<Uint8Array>;
  /** Counts for `/api/health`. */
  health(): { cameras: number; live: number; backlog: number };
  /** Stops every actor, awaits every ffmpeg and writes (or spills) every buffered row. */
  stop(): Promise<void>;
}

interface Unit {
  row: CameraRow;
  /** The camera URL (with credentials), to tell a real source change from a rename. */
  source: string;
  camera: Camera;
  detections: BatchWriter<DetectionRow>;
  events: BatchWriter<EventRow>;
  recorder: EventRecorder;
  analysis: AnalysisStats;
  board: TrackBoard;
  fps: number;
}

const OFFLINE: CameraStatus = {
  stream: "offline",
  analytics: "detached",
  recording: "idle",
  lastFrameAt: null,
  fps: null,
  reconnects: 0,
  lastError: null,
  info: null,
  ffmpegPid: null,
  analysis: null,
  backlog: null,
  hub: [],
};

/**
 * Creates the fleet (call `start()` to load the cameras).
 *
 * @param options database, secrets, data dir, detectors, event feed
 * @returns the fleet
 */
export function createFleet(options: FleetOptions): Fleet {
  const { db, secrets, dataDir } = options;
  const log = createLogger("fleet");
  const units = new Map<string, Unit>();
  const captureFps = options.captureFps ?? ANALYSIS_FPS;
  const snapshots = new Map<string, Promise<Uint8Array>>();

  const { hub } = options;

  /** Tells the hub the camera's sources; returns its URL with credentials. */
  const registerSources = async (row: CameraRow) => {
    const sealed = await getSealedPassword(db.sql, row.id);
    const password = sealed ? await secrets.open(sealed) : undefined;
    const credentials = { username: row.username, password };
    const url = withCredentials(row.sourceUrl, credentials);
    hub.setCamera(row.id, cameraSources(url, row.onvif, credentials, row.transport));
    return url;
  };

  const supervise = async (row: CameraRow) => {
    // First, so a password that cannot be opened fails before anything needs closing.
    const source = await registerSources(row);
    const [detections, events] = await Promise.all([
      BatchWriter.open({ sql: db.sql, spec: DETECTIONS, name: row.id, dataDir }),
      BatchWriter.open({ sql: db.sql, spec: EVENTS, name: row.id, dataDir }),
    ]);
    const analysis = emptyAnalysisStats();
    const board = new TrackBoard();
    const recorder = createEventRecorder({
      cameraId: row.id,
      writer: events,
      bus: options.events,
      dataDir,
    });
    const camera = createCamera({
      id: row.id,
      // The relay, over TCP; the camera's own transport is the hub puller's business.
      sourceUrl: hub.readUrl(row.id),
      transport: "tcp",
      analysisWidth: ANALYSIS_WIDTH,
      analysisHeight: ANALYSIS_HEIGHT,
      fps: captureFps,
      stallMs: options.stallMs,
    }, {
      source: fromCallback(() => {
        const lease = hub.acquire(row.id, {}, "capture");
        return () => void lease.then((l) => l.release(), () => {});
      }),
      analysis: (slot) =>
        createAnalysisLogic({
          cameraId: row.id,
          slot,
          detectors: options.detectors,
          detections,
          events: recorder,
          stats: analysis,
          board,
        }),
    });
    const unit = {
      row,
      source,
      camera,
      detections,
      events,
      recorder,
      analysis,
      board,
      fps: captureFps,
    };
    units.set(row.id, unit);
    return unit;
  };

  const find = (id: string) => {
    const unit = units.get(id);
    if (!unit) throw new NotFoundError(`camera ${id}`);
    return unit;
  };

  const attach = (unit: Unit, settings: AnalyticsSettings) => {
    if (settings.fps > unit.fps) {
      unit.fps = settings.fps;
      unit.camera.send({ type: "CAMERA.UPDATE", source: { fps: settings.fps } });
    }
    unit.camera.send({ type: "CAPTURE.START" });
    unit.camera.send({ type: "ANALYTICS.ATTACH", settings });
  };

  /** Brings a camera to the state stored with it (capturing, analytics). */
  const restore = (unit: Unit) => {
    if (unit.row.desired.capturing) unit.camera.send({ type: "CAPTURE.START" });
    const stored = unit.row.desired.analytics;
    if (!stored) return;
    try {
      attach(
        unit,
        parseAnalyticsSettings(stored, {
          models: options.detectors.names(),
          labels: options.detectors.labels(),
        }),
      );
    } catch (error) {
      log.warn("stored analytics settings no longer valid; not attached", {
        camera: unit.row.id,
        error,
      });
    }
  };

  const stopUnit = async (unit: Unit) => {
    await unit.camera.stop();
    await hub.removeCamera(unit.row.id);
    // Stopping the camera closed its open events; they must reach the writer before it stops.
    await unit.recorder.settled();
    await Promise.all([unit.detections.stop(), unit.events.stop()]);
  };

  return {
    async start() {
      for (const row of await allCameras(db.sql)) {
        // One broken camera (a password sealed with another box's key) must not keep the rest
        // of the fleet from starting.
        try {
          restore(await supervise(row));
        } catch (error) {
          log.error("camera left offline: it could not be started", { camera: row.id, error });
        }
      }
      log.info("fleet started", { cameras: units.size });
    },
    async add(row) {
      restore(await supervise(row));
    },
    async update(row) {
      const unit = find(row.id);
      unit.row = row;
      // The hub restarts a puller only when its URL, credentials or transport changed: a rename
      // costs no reconnect, and capture keeps reading the same relay path either way.
      unit.source = await registerSources(row);
    },
    async remove(id) {
      const unit = units.get(id);
      if (!unit) return;
      units.delete(id);
      await stopUnit(unit);
    },
    async capture(id, action) {
      const unit = find(id);
      if (action === "start") {
        await updateDesired(db.sql, id, { capturing: true });
        unit.camera.send({ type: "CAPTURE.START" });
        return;
      }
      unit.row.desired = await updateDesired(db.sql, id, { capturing: false, analytics: null });
      unit.camera.send({ type: "ANALYTICS.DETACH" });
      unit.camera.send({ type: "CAPTURE.STOP" });
    },
    async attachAnalytics(id, settings) {
      const unit = find(id);
      unit.row.desired = await updateDesired(db.sql, id, { capturing: true, analytics: settings });
      attach(unit, settings);
    },
    async detachAnalytics(id) {
      const unit = find(id);
      unit.row.desired = await updateDesired(db.sql, id, { analytics: null });
      unit.camera.send({ type: "ANALYTICS.DETACH" });
    },
    analysisStats(id) {
      const unit = units.get(id);
      return unit && unit.camera.summary().analytics === "attached" ? { ...unit.analysis } : null;
    },
    board(id) {
      return find(id).board;
    },
    status(id) {
      const unit = units.get(id);
      if (!unit) return OFFLINE;
      const summary = unit.camera.summary();
      return {
        ...summary,
        ffmpegPid: unit.camera.capture.stats.pid,
        analysis: summary.analytics === "attached" ? { ...unit.analysis } : null,
        backlog: { detections: unit.detections.stats(), events: unit.events.stats() },
        hub: hub.status(id),
      };
    },
    snapshot(id) {
      const { camera } = find(id);
      // Concurrent requests for one camera share one ffmpeg: a burst of viewers (or a hostile
      // client) cannot start a process per request.
      let pending = snapshots.get(id);
      if (!pending) {
        pending = (async () => {
          // A grab reads the relay: the lease starts the camera's puller if nothing else runs it.
          const lease = await hub.acquire(id, {}, "snapshot");
          try {
            return await cameraSnapshot({
              latest: camera.capture.slot.peek(),
              url: lease.readUrl,
              transport: "tcp",
              timeoutMs: SNAPSHOT_TIMEOUT_MS,
            });
          } finally {
            lease.release();
          }
        })().finally(() => snapshots.delete(id));
        snapshots.set(id, pending);
      }
      return pending;
    },
    health() {
      let live = 0;
      let backlog = 0;
      for (const unit of units.values()) {
        if (unit.camera.summary().stream === "live") live++;
        for (const writer of [unit.detections, unit.events]) {
          const stats = writer.stats();
          backlog += stats.buffered + stats.spilled;
        }
      }
      return { cameras: units.size, live, backlog };
    },
    async stop() {
      const all = [...units.values()];
      units.clear();
      await Promise.all(all.map(stopUnit));
      log.info("fleet stopped", { cameras: all.length });
    },
  };
}
