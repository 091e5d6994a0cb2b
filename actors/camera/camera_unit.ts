/**
 * One camera's unit: what the fleet builds around a camera actor — its hub sources, its
 * detections, events and segments writers, its event recorder, its recording handle, its analysis
 * numbers, inference histogram and live track board — and how it is torn down.
 *
 * @module
 */
import { type Camera as CameraRow, getSealedPassword } from "../../models/store/cameras.ts";
import { withCredentials } from "../../models/media/rtsp_url.ts";
import { cameraSources } from "../../models/media/hub_plan.ts";
import { analysisSource } from "../../models/media/analysis_source.ts";
import { onCameraHost } from "../../models/media/camera_stream_url.ts";
import { fromCallback } from "xstate";
import { createLogger, type Logger } from "../../models/log.ts";
import { type DetectionRow, DETECTIONS } from "../../models/store/detections.ts";
import { type EventRow, EVENTS } from "../../models/store/events.ts";
import { BatchWriter } from "../store/writer.ts";
import { type Camera, createCamera } from "./camera_machine.ts";
import { type AnalysisStats, createAnalysisLogic, emptyAnalysisStats } from "./analysis.ts";
import { createEventRecorder, type EventRecorder, type FeedMessage } from "./event_recorder.ts";
import type { Hub } from "../stream/hub.ts";
import { type SegmentRow, SEGMENTS } from "../../models/store/segments.ts";
import { readStoredRecording } from "../../models/recording/settings.ts";
import { SEGMENT_SECONDS } from "../../models/media/segment_args.ts";
import { createRecorderLogic } from "../recording/recorder.ts";
import { RecorderHandle, type RecordingSource } from "../recording/recorder_handle.ts";
import { recoverSegments } from "../recording/recovery.ts";
import { Histogram } from "../../models/metrics/histogram.ts";
import { INFERENCE_BUCKETS } from "../../models/metrics/vigil_metrics.ts";
import { TrackBoard } from "../../models/analytics/track_board.ts";
import type { SecretBox } from "../../models/secret_box.ts";
import type { Database } from "../../models/store/database.ts";
import type { EventBus } from "../../models/event_bus.ts";
import type { DetectorPool } from "./detector_pool.ts";
import { type CameraEventsDeps, startCameraEvents } from "../onvif/camera_events.ts";
import type { PullPoint } from "../onvif/pull_point.ts";

/** Analysis frames: size and rate every camera captures at unless analytics asks for more. */
export const ANALYSIS_WIDTH = 640;
export const ANALYSIS_HEIGHT = 360;
export const ANALYSIS_FPS = 5;

/** What a unit is built with (the fleet passes its own options). */
export interface UnitOptions {
  db: Database;
  secrets: SecretBox;
  dataDir: string;
  detectors: DetectorPool;
  /** The live event feed. */
  events: EventBus<FeedMessage>;
  /** The stream hub the camera's capture, recorder and snapshots read through. */
  hub: Hub;
  /** Stall watchdog of the capture (default: the capture's). */
  stallMs?: number;
  /** Target recording segment length in seconds (default 10). */
  segmentSeconds?: number;
  /** Per-call ONVIF time limit (the camera's own events). */
  onvifTimeoutMs?: number;
  /** Timing overrides of the camera events subscription (tests). */
  pullPoint?: CameraEventsDeps["pullPoint"];
  /**
   * Several boxes on one database: this box's id, so every row carries it with the camera's
   * lease epoch and the database refuses rows of a lease lost (absent on a box alone).
   */
  boxId?: string;
  /** Called when the database refused a camera's rows: its lease is lost. */
  onLeaseLost?(cameraId: string): void;
}

/** One supervised camera and the resources that outlive a state of its actor. */
export interface Unit {
  row: CameraRow;
  /** The camera URL (with credentials), to tell a real source change from a rename. */
  source: string;
  camera: Camera;
  detections: BatchWriter<DetectionRow>;
  events: BatchWriter<EventRow>;
  segments: BatchWriter<SegmentRow>;
  recorder: EventRecorder;
  recording: RecorderHandle;
  analysis: AnalysisStats;
  /** Inference time in seconds, for `/metrics`. */
  inference: Histogram;
  board: TrackBoard;
  fps: number;
  /** The camera's own events (ONVIF PullPoint), while on. */
  onvifEvents: PullPoint | undefined;
  /**
   * The last change of `onvifEvents` (settings changes run one at a time, so two concurrent
   * changes cannot both start a subscription and orphan one).
   */
  eventsChange: Promise<void>;
  /** Set by {@linkcode stopUnit}: no subscription starts after it. */
  stopping: boolean;
  /** The lease epoch the unit writes under (several boxes), or undefined on a box alone. */
  epoch: number | undefined;
}

/** Where a stored stream URL refused by the host rule is reported. */
const hostLog = createLogger("camera");

/**
 * Tells the hub the camera's sources; returns its URL with credentials.
 *
 * @param options the database, secrets and hub
 * @param row the camera
 * @returns the camera URL with credentials
 */
export async function registerSources(
  options: Pick<UnitOptions, "db" | "secrets" | "hub">,
  row: CameraRow,
): Promise<string> {
  const { db, secrets, hub } = options;
  const sealed = await getSealedPassword(db.sql, row.id);
  const password = sealed ? await secrets.open(sealed) : undefined;
  const credentials = { username: row.username, password };
  const url = withCredentials(row.sourceUrl, credentials);
  const sources = cameraSources(url, row.onvif, credentials, row.transport);
  // The camera's credentials go only to its own host, whatever a stored row says (SECURITY.md).
  const host = new URL(row.sourceUrl).hostname;
  const trusted = (field: string, stored: string) => {
    if (onCameraHost(stored, host)) return true;
    hostLog.warn(`${field} is not on the camera's host: not used`, {
      camera: row.id,
      host,
    });
    return false;
  };
  // A camera added by URL may name the stream to record (its main stream beside a sub-stream).
  if (sources.main === undefined && row.recordUrl && trusted("recordUrl", row.recordUrl)) {
    sources.main = withCredentials(row.recordUrl, credentials);
  }
  // Analysis decodes the `sub` stream: the configured analysisUrl, else the ONVIF analysis
  // profile (cameraSources), else the camera's own stream (the hub aliases it, one puller).
  const analysis = analysisSource(row);
  if (analysis.from === "analysisUrl" && trusted("analysisUrl", analysis.url)) {
    sources.sub = withCredentials(analysis.url, credentials);
  }
  hub.setCamera(row.id, sources);
  return url;
}

/**
 * THE seam between recording and its input, resolved each time a recording run starts: the
 * camera's `main` stream read from the relay, under a hub lease the run releases when it ends
 * (the camera sees no extra session; a recorder that restarts costs no camera reconnect).
 *
 * @param hub the stream hub
 * @param id the camera
 * @returns where the recorder reads, and how to let it go
 */
export async function recordingSource(hub: Hub, id: string): Promise<RecordingSource> {
  const lease = await hub.acquire(id, { stream: "main" }, "recorder");
  return { url: lease.readUrl, transport: "tcp", release: () => lease.release() };
}

/**
 * Builds a camera's unit: registers its sources, opens its writers, recovers segments a crash
 * left unindexed, and creates its actor (idle until told otherwise).
 *
 * @param options what the unit is built with
 * @param captureFps the base capture rate
 * @param log the fleet's logger
 * @param row the camera
 * @param epoch the lease epoch this box holds the camera at (several boxes only)
 * @returns the unit
 */
export async function buildUnit(
  options: UnitOptions,
  captureFps: number,
  log: Logger,
  row: CameraRow,
  epoch?: number,
): Promise<Unit> {
  const { db, dataDir, hub, boxId } = options;
  // First, so a password that cannot be opened fails before anything needs closing.
  const source = await registerSources(options, row);
  const fence = boxId !== undefined && epoch !== undefined
    ? { cameraId: row.id, boxId, epoch, onLost: () => options.onLeaseLost?.(row.id) }
    : undefined;
  const [detections, events, segments] = await Promise.all([
    BatchWriter.open({ sql: db.sql, spec: DETECTIONS, name: row.id, dataDir, fence }),
    BatchWriter.open({ sql: db.sql, spec: EVENTS, name: row.id, dataDir, fence }),
    BatchWriter.open({ sql: db.sql, spec: SEGMENTS, name: row.id, dataDir, fence }),
  ]);
  const stored = readStoredRecording(row.desired.recording);
  try {
    await recoverSegments({
      sql: db.sql,
      dataDir,
      cameraId: row.id,
      writer: segments,
      settings: stored?.settings ?? null,
    });
  } catch (error) {
    log.error("recovering unindexed segments failed", { camera: row.id, error });
  }
  const recording = new RecorderHandle();
  const analysis = emptyAnalysisStats();
  const inference = new Histogram(INFERENCE_BUCKETS);
  const board = new TrackBoard();
  const recorder = createEventRecorder({
    cameraId: row.id,
    writer: events,
    bus: options.events,
    dataDir,
  });
  const camera = createCamera({
    id: row.id,
    // The relay's analysis stream (`sub`, models/media/analysis_source.ts), over TCP; the
    // camera's own transport is the hub puller's business.
    sourceUrl: hub.readUrl(row.id, "sub"),
    transport: "tcp",
    analysisWidth: ANALYSIS_WIDTH,
    analysisHeight: ANALYSIS_HEIGHT,
    fps: captureFps,
    stallMs: options.stallMs,
  }, {
    // The stream state follows the hub's puller, which sees the camera go within a second.
    source: fromCallback(({ sendBack }) => {
      const lease = hub.acquire(row.id, { stream: "sub" }, "capture");
      let held = true;
      const unwatch = hub.watchSource(row.id, "sub", (up, error) => {
        // Not from inside the hub's call (the first comes while this actor starts).
        queueMicrotask(() => {
          if (held) sendBack(up ? { type: "SOURCE.UP" } : { type: "SOURCE.DOWN", error });
        });
      });
      return () => {
        held = false;
        unwatch();
        void lease.then((l) => l.release(), () => {});
      };
    }),
    analysis: (slot) =>
      createAnalysisLogic({
        cameraId: row.id,
        slot,
        detectors: options.detectors,
        detections,
        events: recorder,
        stats: analysis,
        onInference: (ms) => inference.observe(ms / 1000),
        board,
      }),
    recorder: createRecorderLogic({
      cameraId: row.id,
      dataDir,
      segmentSeconds: options.segmentSeconds ?? SEGMENT_SECONDS.default,
      source: () => recordingSource(hub, row.id),
      writer: segments,
      events: options.events,
      handle: recording,
    }),
  });
  const unit: Unit = {
    row,
    source,
    camera,
    detections,
    events,
    segments,
    recorder,
    recording,
    analysis,
    inference,
    board,
    fps: captureFps,
    onvifEvents: undefined,
    eventsChange: Promise.resolve(),
    stopping: false,
    epoch,
  };
  unit.onvifEvents = startUnitEvents(options, unit);
  return unit;
}

/**
 * Starts a unit's ONVIF events subscription (when the camera has them and they are on).
 *
 * @param options what the unit is built with
 * @param unit the unit (its row is read again whenever an event is posted)
 * @returns the subscription, or undefined
 */
export function startUnitEvents(options: UnitOptions, unit: Unit): PullPoint | undefined {
  return startCameraEvents(options, () => unit.row, unit.recorder);
}

/**
 * Replaces a unit's events subscription after its settings changed: after the changes before it,
 * and not at all once the unit is stopping (a delete racing a settings change must not leave a
 * subscription polling a deleted camera).
 *
 * @param options what the unit is built with
 * @param unit the unit
 * @returns once the old subscription is stopped and the new one started
 */
export function restartUnitEvents(options: UnitOptions, unit: Unit): Promise<void> {
  const change = unit.eventsChange.then(async () => {
    const previous = unit.onvifEvents;
    unit.onvifEvents = undefined;
    await previous?.stop();
    if (!unit.stopping) unit.onvifEvents = startUnitEvents(options, unit);
  });
  unit.eventsChange = change.catch(() => {});
  return change;
}

/**
 * Stops a camera's unit: its actor (ffmpeg awaited), then its hub paths, then its writers.
 *
 * @param hub the stream hub
 * @param unit the unit
 * @param deadline (epoch ms) rows not written by then are spilled
 */
export async function stopUnit(hub: Hub, unit: Unit, deadline?: number): Promise<void> {
  // Unsubscribes and closes the camera's own open events, before the recorder settles; a
  // settings change in flight finishes first and starts nothing.
  unit.stopping = true;
  await unit.eventsChange;
  await unit.onvifEvents?.stop();
  await unit.camera.stop();
  // Stopping the camera closed its open events and ended its recording run (which finishes
  // its segment before the hub lets the camera go); their rows must reach the writers first.
  await Promise.all([unit.recorder.settled(), unit.recording.settled()]);
  await hub.removeCamera(unit.row.id);
  await Promise.all([
    unit.detections.stop({ deadline }),
    unit.events.stop({ deadline }),
    unit.segments.stop({ deadline }),
  ]);
}
