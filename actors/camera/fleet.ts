/**
 * The fleet: one camera unit per camera row (camera_unit.ts: the actor, its writers, event
 * recorder and recording handle), created and stopped as cameras come and go, with each camera's
 * stored desired state (capture, analytics, recording) restored at start. A new camera is idle
 * until capture starts; attaching analytics starts capture and stopping capture detaches it;
 * capture runs at the analytics fps when that is higher. Every consumer reads the camera through
 * the stream hub, so the camera sees one session per stream.
 *
 * @module
 */
import {
  allCameras,
  type Camera as CameraRow,
  getCamera,
  updateDesired,
} from "../../models/store/cameras.ts";
import { removeOrphanFiles } from "../../models/store/camera_data.ts";
import { cameraSnapshot } from "./snapshot.ts";
import { NotFoundError } from "../../models/errors.ts";
import { withTimeout } from "../../models/timeout.ts";
import { createLogger } from "../../models/log.ts";
import { type AnalyticsSettings, parseAnalyticsSettings } from "../../models/analytics/settings.ts";
import type { AnalysisStats } from "./analysis.ts";
import {
  readStoredRecording,
  type RecordingSettings,
  type StoredRecording,
} from "../../models/recording/settings.ts";
import { type RecorderStats, recordingIdle } from "../recording/recorder_handle.ts";
import type { CameraMetrics } from "../../models/metrics/vigil_metrics.ts";
import type { TrackBoard } from "../../models/analytics/track_board.ts";
import {
  ANALYSIS_FPS,
  buildUnit,
  registerSources,
  restartUnitEvents,
  stopUnit as stopCameraUnit,
  type Unit,
  type UnitOptions,
} from "./camera_unit.ts";
import { deleteCamera as deleteCameraFlow } from "./camera_delete.ts";
import type { OnvifEventSettings } from "../../models/onvif/event_state.ts";
import type { PullPointStatus } from "../onvif/pull_point.ts";
import { type CameraStatus, cameraStatus, fleetHealth, fleetMetrics } from "./fleet_views.ts";

/** How long a one-shot snapshot of a camera that is not capturing may take. */
export const SNAPSHOT_TIMEOUT_MS = 5000;
/** How long stopRecording waits for the open segment to be finished and indexed. */
export const FINALIZE_TIMEOUT_MS = 20_000;
/** How long stopRecording then waits for the segment's row to be committed. */
const DRAIN_TIMEOUT_MS = 2000;

/** What the fleet needs: what each camera's unit is built with, and the capture rate. */
export interface FleetOptions extends UnitOptions {
  /** Capture rate before analytics asks for more (default {@linkcode ANALYSIS_FPS}). */
  captureFps?: number;
  /**
   * Several boxes: places a new camera (actors/cluster/coordinator.ts) and answers the lease
   * epoch when this box took it, or undefined when another box did (then it is not supervised
   * here). Absent on a box alone: every camera is this box's.
   */
  placement?(row: CameraRow): Promise<number | undefined>;
}

/** The supervisor's interface, as routes and main.ts use it. */
export interface Fleet {
  /**
   * Creates an actor per stored camera and restores what each was doing.
   *
   * @param owned several boxes: only these cameras, each with the lease epoch this box holds
   */
  start(owned?: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Several boxes: starts supervising a camera whose lease this box just took, restoring its
   * stored desired state.
   * @throws {NotFoundError} when the camera does not exist
   */
  adopt(id: string, epoch: number): Promise<void>;
  /** Several boxes: stops a camera whose lease this box lost or handed over (no-op if absent). */
  release(id: string): Promise<void>;
  /** The cameras supervised here, each with its lease epoch (undefined on a box alone). */
  owned(): Map<string, number | undefined>;
  /** Starts supervising a new camera (idle until capture starts). */
  add(camera: CameraRow): Promise<void>;
  /** Applies a changed source (URL, credentials, transport): a capturing camera reconnects. */
  update(camera: CameraRow): Promise<void>;
  /**
   * Deletes a camera: stops its actor (ffmpeg awaited, writers flushed while its row still
   * exists), deletes its row, then purges its detections and files in the background.
   * Concurrent calls for one camera share one deletion and all succeed: a delete is idempotent,
   * and no interleaving can leave a camera supervised without a row or a row without supervision.
   * @throws {NotFoundError} when the camera does not exist (and nobody is deleting it)
   */
  delete(id: string): Promise<void>;
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
   * startRecording with validated settings (also when recording: new settings apply without a
   * gap). Remembered across restarts.
   * @throws {NotFoundError}
   */
  startRecording(id: string, settings: RecordingSettings): Promise<void>;
  /**
   * stopRecording: resolves once the open segment is finished and indexed. The settings stay
   * stored (retention keeps applying them), marked inactive.
   * @throws {NotFoundError}
   */
  stopRecording(id: string): Promise<void>;
  /** The recorder's live numbers, or null when not recording. */
  recorderStats(id: string): RecorderStats | null;
  /**
   * What a camera's analysis currently sees, for annotated live streams.
   * @throws {NotFoundError}
   */
  board(id: string): TrackBoard;
  /**
   * Turns a camera's own events (ONVIF) on or off, or changes their topics; stored, and the
   * subscription restarted.
   */
  setOnvifEvents(id: string, settings: OnvifEventSettings): Promise<void>;
  /** The camera's events subscription, or null while there is none. */
  onvifEventsStatus(id: string): PullPointStatus | null;
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
  /** Every camera's numbers for `/metrics`. */
  metrics(): CameraMetrics[];
  /**
   * Stops every actor, awaits every ffmpeg and writes (or spills) every buffered row.
   *
   * @param options `deadline` (epoch ms): rows not written by then are spilled
   */
  stop(options?: { deadline?: number }): Promise<void>;
}

/**
 * Creates the fleet (call `start()` to load the cameras).
 *
 * @param options database, secrets, data dir, detectors, event feed
 * @returns the fleet
 */
export function createFleet(options: FleetOptions): Fleet {
  const { db, dataDir } = options;
  const log = createLogger("fleet");
  const units = new Map<string, Unit>();
  const captureFps = options.captureFps ?? ANALYSIS_FPS;
  const snapshots = new Map<string, Promise<Uint8Array>>();

  const { hub } = options;

  const supervise = async (row: CameraRow, epoch?: number) => {
    const unit = await buildUnit(options, captureFps, log, row, epoch);
    units.set(row.id, unit);
    return unit;
  };

  const find = (id: string) => {
    const unit = units.get(id);
    if (!unit) throw new NotFoundError(`camera ${id}`);
    return unit;
  };

  /** Capture runs at the analytics fps when it is higher, and back at the base rate otherwise. */
  const setCaptureFps = (unit: Unit, fps: number) => {
    if (fps === unit.fps) return;
    unit.fps = fps;
    unit.camera.send({ type: "CAMERA.UPDATE", source: { fps } });
  };

  const attach = (unit: Unit, settings: AnalyticsSettings) => {
    setCaptureFps(unit, Math.max(captureFps, settings.fps));
    unit.camera.send({ type: "CAPTURE.START" });
    unit.camera.send({ type: "ANALYTICS.ATTACH", settings });
  };

  /** Brings a camera to the state stored with it (capturing, analytics, recording). */
  const restore = (unit: Unit) => {
    if (unit.row.desired.capturing) unit.camera.send({ type: "CAPTURE.START" });
    const recording = readStoredRecording(unit.row.desired.recording);
    if (recording?.active) {
      unit.camera.send({ type: "RECORDING.START", settings: recording.settings });
    }
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

  const stopUnit = (unit: Unit, deadline?: number) => stopCameraUnit(hub, unit, deadline);

  const add = async (row: CameraRow) => {
    const epoch = options.placement ? await options.placement(row) : undefined;
    if (options.placement && epoch === undefined) return;
    restore(await supervise(row, epoch));
  };
  const deletions = new Map<string, Promise<void>>();

  const stopSupervising = async (id: string) => {
    const unit = units.get(id);
    if (!unit) return false;
    units.delete(id);
    await stopUnit(unit);
    return true;
  };

  const deleteCamera = (id: string) =>
    deleteCameraFlow({ db, dataDir, log, stopSupervising, resumeSupervising: add }, id);

  const recordingState = (unit: Unit) => unit.camera.summary().recording;

  /** Resolves once the camera's recording region is idle (the open segment indexed). */
  const untilIdle = (unit: Unit) => recordingIdle(unit.camera.actor, FINALIZE_TIMEOUT_MS);

  return {
    async start(owned) {
      const rows = await allCameras(db.sql);
      // Before any writer opens: spill files of cameras that are gone must not be replayed.
      await removeOrphanFiles(dataDir, new Set(rows.map((row) => row.id)), log).catch((error) => {
        log.warn("could not look for files of deleted cameras", { error });
      });
      for (const row of rows) {
        if (owned && !owned.has(row.id)) continue;
        // One broken camera (a password sealed with another box's key) must not keep the rest
        // of the fleet from starting.
        try {
          restore(await supervise(row, owned?.get(row.id)));
        } catch (error) {
          log.error("camera left offline: it could not be started", { camera: row.id, error });
        }
      }
      log.info("fleet started", { cameras: units.size });
    },
    add,
    async adopt(id, epoch) {
      const row = await getCamera(db.sql, id);
      if (units.has(id)) await stopSupervising(id);
      restore(await supervise(row, epoch));
    },
    async release(id) {
      await stopSupervising(id);
    },
    owned() {
      return new Map([...units].map(([id, unit]) => [id, unit.epoch]));
    },
    async update(row) {
      // Several boxes: a camera another box owns is that box's to reconnect (routes send the
      // change there; a new owner reads the stored row).
      if (options.placement && !units.has(row.id)) return;
      const unit = find(row.id);
      unit.row = row;
      // The hub restarts a puller only when its URL, credentials or transport changed: a rename
      // costs no reconnect, and capture keeps reading the same relay path either way.
      unit.source = await registerSources(options, row);
    },
    delete(id) {
      let deleting = deletions.get(id);
      if (!deleting) {
        deleting = deleteCamera(id).finally(() => deletions.delete(id));
        deletions.set(id, deleting);
      }
      return deleting;
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
      setCaptureFps(unit, captureFps);
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
      setCaptureFps(unit, captureFps);
    },
    analysisStats(id) {
      const unit = units.get(id);
      return unit && unit.camera.summary().analytics === "attached" ? { ...unit.analysis } : null;
    },
    async startRecording(id, settings) {
      const unit = find(id);
      const stored: StoredRecording = { active: true, settings };
      unit.row.desired = await updateDesired(db.sql, id, { recording: stored });
      if (recordingState(unit) === "finalizing") await untilIdle(unit);
      unit.camera.send({ type: "RECORDING.START", settings });
    },
    async stopRecording(id) {
      const unit = find(id);
      const previous = readStoredRecording(unit.row.desired.recording);
      if (previous) {
        unit.row.desired = await updateDesired(db.sql, id, {
          recording: { ...previous, active: false },
        });
      }
      unit.camera.send({ type: "RECORDING.STOP" });
      await untilIdle(unit);
      // The last segment's row is in the writer: give it a moment to commit, so a timeline
      // asked for right after the stop shows it (a database that is down keeps it for later).
      await withTimeout(unit.segments.drained(), DRAIN_TIMEOUT_MS, () => new Error("slow"))
        .catch(() => {});
    },
    async setOnvifEvents(id, settings) {
      const unit = find(id);
      unit.row.desired = await updateDesired(db.sql, id, { onvifEvents: settings });
      await restartUnitEvents(options, unit);
    },
    onvifEventsStatus(id) {
      return units.get(id)?.onvifEvents?.status() ?? null;
    },
    board(id) {
      return find(id).board;
    },
    recorderStats(id) {
      const unit = units.get(id);
      return unit && recordingState(unit) !== "idle" ? { ...unit.recording.stats } : null;
    },
    status(id) {
      return cameraStatus(hub, id, units.get(id));
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
      return fleetHealth(units);
    },
    metrics(): CameraMetrics[] {
      return fleetMetrics(units);
    },
    async stop(options = {}) {
      const all = [...units.values()];
      units.clear();
      await Promise.all(all.map((unit) => stopUnit(unit, options.deadline)));
      log.info("fleet stopped", { cameras: all.length });
    },
  };
}
