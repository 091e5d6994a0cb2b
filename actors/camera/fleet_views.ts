/**
 * The fleet's views of its cameras: a camera's API status, the `/api/health` counts and the
 * `/metrics` numbers.
 *
 * @module
 */
import type { WriterStats } from "../../models/store/writer_options.ts";
import type { CameraSummary } from "./camera_machine.ts";
import type { AnalysisStats } from "./analysis.ts";
import type { Hub, HubStreamStatus } from "../stream/hub.ts";
import { publicStats, type RecorderStats } from "../recording/recorder_handle.ts";
import type { CameraMetrics } from "../../models/metrics/vigil_metrics.ts";
import type { Unit } from "./camera_unit.ts";

/** A camera's state as the API shows it: the actor's summary plus analysis and writer numbers. */
export interface CameraStatus extends CameraSummary {
  /** PID of the camera's ffmpeg while capturing (for operators tracing a process). */
  ffmpegPid: number | null;
  analysis: AnalysisStats | null;
  /** The recorder's live numbers while recording, else null (the open file stays internal). */
  recorder: Omit<RecorderStats, "current"> | null;
  backlog: { detections: WriterStats; events: WriterStats; segments: WriterStats } | null;
  /** The camera's relay paths: puller state, readers, bitrate, packets forwarded and dropped. */
  hub: HubStreamStatus[];
}

/** The status of a camera the fleet does not supervise. */
export const OFFLINE: CameraStatus = {
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
  recorder: null,
  backlog: null,
  hub: [],
};

/**
 * The API view of a camera's state.
 *
 * @param hub the stream hub
 * @param id the camera
 * @param unit its unit, if supervised
 * @returns its status ({@linkcode OFFLINE} when not supervised)
 */
export function cameraStatus(hub: Hub, id: string, unit: Unit | undefined): CameraStatus {
  if (!unit) return OFFLINE;
  const summary = unit.camera.summary();
  return {
    ...summary,
    ffmpegPid: unit.camera.capture.stats.pid,
    analysis: summary.analytics === "attached" ? { ...unit.analysis } : null,
    recorder: summary.recording === "idle" ? null : publicStats(unit.recording.stats),
    backlog: {
      detections: unit.detections.stats(),
      events: unit.events.stats(),
      segments: unit.segments.stats(),
    },
    hub: hub.status(id),
  };
}

/**
 * Counts for `/api/health`.
 *
 * @param units the supervised cameras
 * @returns cameras, live streams and rows buffered or spilled
 */
export function fleetHealth(
  units: Map<string, Unit>,
): { cameras: number; live: number; backlog: number } {
  let live = 0;
  let backlog = 0;
  for (const unit of units.values()) {
    if (unit.camera.summary().stream === "live") live++;
    for (const writer of [unit.detections, unit.events, unit.segments]) {
      const stats = writer.stats();
      backlog += stats.buffered + stats.spilled;
    }
  }
  return { cameras: units.size, live, backlog };
}

/**
 * Every camera's numbers for `/metrics`.
 *
 * @param units the supervised cameras
 * @returns one entry per camera
 */
export function fleetMetrics(units: Map<string, Unit>): CameraMetrics[] {
  return [...units.values()].map((unit) => {
    const summary = unit.camera.summary();
    const stats = unit.camera.capture.stats;
    return {
      id: unit.row.id,
      name: unit.row.name,
      stream: summary.stream,
      captureFps: summary.fps ?? 0,
      frames: stats.totalFrames,
      reconnects: summary.reconnects,
      attached: summary.analytics === "attached",
      analysis: { ...unit.analysis },
      inference: unit.inference.snapshot(),
      writers: [
        { table: "detections", stats: unit.detections.stats() },
        { table: "events", stats: unit.events.stats() },
      ],
    };
  });
}
