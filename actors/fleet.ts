/**
 * The fleet: the supervisor of every camera actor on this box. One actor per camera row; actors
 * are created and stopped as cameras are added and removed, and at start the operator's desired
 * state (capturing, analytics, recording — stored with the camera) is restored, so a restart of
 * the server resumes what was running.
 *
 * A new camera does not capture until asked (videoCapture `start`), because adding a camera and
 * pulling its stream are separate operations; the choice is remembered across restarts.
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
import { NotFoundError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";
import { type Camera, type CameraSummary, createCamera } from "./camera.ts";

/** Analysis frames: size and rate every camera captures at unless configured otherwise. */
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
  /** Stall watchdog per camera (default: the capture's). */
  stallMs?: number;
}

/** The supervisor's interface, as routes and main.ts use it. */
export interface Fleet {
  /** Creates an actor per stored camera and restores what each was doing. */
  start(): Promise<void>;
  /** Starts supervising a new camera (idle until capture starts). */
  add(camera: CameraRow): Promise<void>;
  /** Applies a changed source (URL, credentials, transport): a capturing camera reconnects. */
  update(camera: CameraRow): Promise<void>;
  /** Stops a camera's actor and awaits its ffmpeg. Unknown ids are ignored. */
  remove(id: string): Promise<void>;
  /**
   * videoCapture: starts or stops pulling a camera's stream, and remembers the choice.
   * @throws {NotFoundError}
   */
  capture(id: string, action: "start" | "stop"): Promise<void>;
  /** The API view of a camera's state. */
  status(id: string): CameraSummary;
  /**
   * A current JPEG: the latest frame when capturing, otherwise a one-shot grab.
   * @throws {NotFoundError}
   * @throws {UnavailableError} when the camera gives no frame in time
   */
  snapshot(id: string): Promise<Uint8Array>;
  /** Counts for `/api/health`. */
  health(): { cameras: number; live: number };
  /** Stops every actor and awaits every ffmpeg. */
  stop(): Promise<void>;
}

const OFFLINE: CameraSummary = {
  stream: "offline",
  analytics: "detached",
  recording: "idle",
  lastFrameAt: null,
  fps: null,
  reconnects: 0,
  lastError: null,
  info: null,
};

/**
 * Creates the fleet (call `start()` to load the cameras).
 *
 * @param options database, secrets, data dir
 * @returns the fleet
 */
export function createFleet(options: FleetOptions): Fleet {
  const { db, secrets } = options;
  const log = createLogger("fleet");
  const cameras = new Map<string, { camera: Camera; row: CameraRow }>();

  const sourceUrl = async (row: CameraRow) => {
    const sealed = await getSealedPassword(db.sql, row.id);
    const password = sealed ? await secrets.open(sealed) : undefined;
    return withCredentials(row.sourceUrl, { username: row.username, password });
  };

  const supervise = async (row: CameraRow) => {
    const camera = createCamera({
      id: row.id,
      sourceUrl: await sourceUrl(row),
      transport: row.transport,
      analysisWidth: ANALYSIS_WIDTH,
      analysisHeight: ANALYSIS_HEIGHT,
      fps: ANALYSIS_FPS,
      stallMs: options.stallMs,
    });
    cameras.set(row.id, { camera, row });
    return camera;
  };

  const find = (id: string) => {
    const entry = cameras.get(id);
    if (!entry) throw new NotFoundError(`camera ${id}`);
    return entry;
  };

  return {
    async start() {
      for (const row of await allCameras(db.sql)) {
        const camera = await supervise(row);
        if (row.desired.capturing) camera.send({ type: "CAPTURE.START" });
      }
      log.info("fleet started", { cameras: cameras.size });
    },
    async add(row) {
      await supervise(row);
    },
    async update(row) {
      const entry = find(row.id);
      entry.row = row;
      entry.camera.send({
        type: "CAMERA.UPDATE",
        source: { sourceUrl: await sourceUrl(row), transport: row.transport },
      });
    },
    async remove(id) {
      const entry = cameras.get(id);
      if (!entry) return;
      cameras.delete(id);
      await entry.camera.stop();
    },
    async capture(id, action) {
      const { camera } = find(id);
      await updateDesired(db.sql, id, { capturing: action === "start" });
      camera.send({ type: action === "start" ? "CAPTURE.START" : "CAPTURE.STOP" });
    },
    status(id) {
      return cameras.get(id)?.camera.summary() ?? OFFLINE;
    },
    async snapshot(id) {
      const { camera, row } = find(id);
      return await cameraSnapshot({
        latest: camera.capture.slot.peek(),
        url: await sourceUrl(row),
        transport: row.transport,
        timeoutMs: SNAPSHOT_TIMEOUT_MS,
      });
    },
    health() {
      let live = 0;
      for (const { camera } of cameras.values()) if (camera.summary().stream === "live") live++;
      return { cameras: cameras.size, live };
    },
    async stop() {
      const all = [...cameras.values()];
      cameras.clear();
      await Promise.all(all.map(({ camera }) => camera.stop()));
      log.info("fleet stopped", { cameras: all.length });
    },
  };
}
