/**
 * Vigil's metrics as Prometheus families, built from a plain snapshot of the running system (a
 * pure function, table-tested without processes). Cameras are labelled by id (`camera`);
 * `vigil_camera_info` carries the name, so a rename starts no new series. The families are listed
 * in README "Metrics".
 *
 * @module
 */
import type { Labels, MetricFamily } from "./exposition.ts";
import type { HistogramSnapshot } from "./histogram.ts";

/** Stream states, all exposed (1 for the current one) so a dashboard can sum by state. */
export const STREAM_STATES = ["offline", "connecting", "live", "backoff"] as const;

/** Bucket bounds of the inference time histogram, in seconds (a CenterNet run takes 30–80 ms). */
export const INFERENCE_BUCKETS = [0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];
/** Bucket bounds of the event-loop lag histogram, in seconds. */
export const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];

/** A writer's numbers (structurally the writer's stats). */
export interface WriterMetrics {
  buffered: number;
  spilled: number;
  spillBytes: number;
  written: number;
  dropped: number;
}

/** The analysis numbers of a camera (structurally the analysis actor's stats). */
export interface AnalysisMetrics {
  frames: number;
  fps: number;
  detectorRuns: number;
  gateSkipped: number;
  gateSkipRatio: number;
  skipped: number;
  tracks: number;
  openEvents: number;
  eventsOpened: number;
}

/** One camera at scrape time. */
export interface CameraMetrics {
  id: string;
  name: string;
  stream: typeof STREAM_STATES[number];
  /** Frames per second arriving from ffmpeg. */
  captureFps: number;
  /** Frames received from ffmpeg since the camera was loaded. */
  frames: number;
  reconnects: number;
  attached: boolean;
  analysis: AnalysisMetrics;
  /** Inference time in seconds. */
  inference: HistogramSnapshot;
  writers: { table: string; stats: WriterMetrics }[];
}

/** The MQTT bridge's numbers (actors/mqtt/bridge.ts). */
export interface MqttMetrics {
  connected: boolean;
  published: number;
  dropped: number;
  queued: number;
}

/** The system at scrape time. */
export interface MetricsSnapshot {
  cameras: readonly CameraMetrics[];
  /** Resident set size of the Vigil process. */
  rssBytes: number;
  /** Event-loop lag in seconds, and its p99 over the last minute. */
  lag: { histogram: HistogramSnapshot; p99Seconds: number };
  databaseUp: boolean;
  /** Absent when MQTT is off. */
  mqtt?: MqttMetrics;
}

type Sample = { labels?: Labels; value: number };

function perCamera(
  cameras: readonly CameraMetrics[],
  value: (c: CameraMetrics) => number,
): Sample[] {
  return cameras.map((c) => ({ labels: { camera: c.id }, value: value(c) }));
}

function perWriter(
  cameras: readonly CameraMetrics[],
  value: (w: WriterMetrics) => number,
): Sample[] {
  return cameras.flatMap((c) =>
    c.writers.map((w) => ({ labels: { camera: c.id, table: w.table }, value: value(w.stats) }))
  );
}

/**
 * Builds every family from a snapshot.
 *
 * @param s the snapshot
 * @returns the families, in a stable order
 */
export function vigilFamilies(s: MetricsSnapshot): MetricFamily[] {
  const cams = s.cameras;
  const a = (f: (m: AnalysisMetrics) => number) => perCamera(cams, (c) => f(c.analysis));
  return [
    {
      name: "vigil_cameras",
      help: "Cameras on this box.",
      type: "gauge",
      samples: [{ value: cams.length }],
    },
    {
      name: "vigil_camera_info",
      help: "Camera names by id (always 1).",
      type: "gauge",
      samples: cams.map((c) => ({ labels: { camera: c.id, name: c.name }, value: 1 })),
    },
    {
      name: "vigil_camera_stream_state",
      help: "1 for the camera's current stream state, 0 for the others.",
      type: "gauge",
      samples: cams.flatMap((c) =>
        STREAM_STATES.map((state) => ({
          labels: { camera: c.id, state },
          value: c.stream === state ? 1 : 0,
        }))
      ),
    },
    {
      name: "vigil_camera_fps",
      help: "Frames per second arriving from the camera's ffmpeg.",
      type: "gauge",
      samples: perCamera(cams, (c) => c.captureFps),
    },
    {
      name: "vigil_camera_frames_total",
      help: "Frames received from the camera's ffmpeg.",
      type: "counter",
      samples: perCamera(cams, (c) => c.frames),
    },
    {
      name: "vigil_camera_reconnects_total",
      help: "Capture restarts after a failure.",
      type: "counter",
      samples: perCamera(cams, (c) => c.reconnects),
    },
    {
      name: "vigil_analysis_attached",
      help: "1 while analytics is attached to the camera.",
      type: "gauge",
      samples: perCamera(cams, (c) => c.attached ? 1 : 0),
    },
    {
      name: "vigil_analysis_fps",
      help: "Frames analysed per second (motion-gate skips plus detector runs), last 5 s.",
      type: "gauge",
      samples: a((m) => m.fps),
    },
    {
      name: "vigil_analysis_frames_total",
      help: "Frames the analysis took at its fps (before the motion gate).",
      type: "counter",
      samples: a((m) => m.frames),
    },
    {
      name: "vigil_analysis_detector_runs_total",
      help: "Frames the detector ran on.",
      type: "counter",
      samples: a((m) => m.detectorRuns),
    },
    {
      name: "vigil_analysis_gate_skipped_total",
      help: "Frames the motion gate kept from the detector.",
      type: "counter",
      samples: a((m) => m.gateSkipped),
    },
    {
      name: "vigil_analysis_gate_skip_ratio",
      help: "Share of frames the motion gate kept from the detector since the last settings.",
      type: "gauge",
      samples: a((m) => m.gateSkipRatio),
    },
    {
      name: "vigil_analysis_frames_dropped_total",
      help: "Frames replaced by a newer one before the detector reached them (detector busy).",
      type: "counter",
      samples: a((m) => m.skipped),
    },
    {
      name: "vigil_inference_seconds",
      help: "Time the inference Worker spent on a frame (pre-processing, model, decoding).",
      type: "histogram",
      samples: cams.map((c) => ({ labels: { camera: c.id }, value: c.inference })),
    },
    {
      name: "vigil_tracks",
      help: "Objects tracked now.",
      type: "gauge",
      samples: a((m) => m.tracks),
    },
    {
      name: "vigil_events_open",
      help: "Events open now.",
      type: "gauge",
      samples: a((m) => m.openEvents),
    },
    {
      name: "vigil_events_opened_total",
      help: "Events opened (every kind).",
      type: "counter",
      samples: a((m) => m.eventsOpened),
    },
    {
      name: "vigil_writer_queue_rows",
      help: "Rows in memory waiting for the database.",
      type: "gauge",
      samples: perWriter(cams, (w) => w.buffered),
    },
    {
      name: "vigil_writer_backlog_rows",
      help: "Rows in the spill file waiting to be replayed (the database was down).",
      type: "gauge",
      samples: perWriter(cams, (w) => w.spilled),
    },
    {
      name: "vigil_writer_spill_bytes",
      help: "Size of the writer's spill file.",
      type: "gauge",
      samples: perWriter(cams, (w) => w.spillBytes),
    },
    {
      name: "vigil_writer_rows_written_total",
      help: "Rows committed to the database (replayed ones included).",
      type: "counter",
      samples: perWriter(cams, (w) => w.written),
    },
    {
      name: "vigil_writer_rows_dropped_total",
      help: "Rows refused by the database as invalid, or dropped with memory and disk full.",
      type: "counter",
      samples: perWriter(cams, (w) => w.dropped),
    },
    {
      name: "process_resident_memory_bytes",
      help: "Resident memory size in bytes.",
      type: "gauge",
      samples: [{ value: s.rssBytes }],
    },
    {
      name: "vigil_event_loop_lag_seconds",
      help: "How late the main event loop ran a 100 ms timer.",
      type: "histogram",
      samples: [{ value: s.lag.histogram }],
    },
    {
      name: "vigil_event_loop_lag_p99_seconds",
      help: "99th percentile of the event-loop lag over the last minute.",
      type: "gauge",
      samples: [{ value: s.lag.p99Seconds }],
    },
    {
      name: "vigil_database_up",
      help: "1 when the database answered a ping within 2 s.",
      type: "gauge",
      samples: [{ value: s.databaseUp ? 1 : 0 }],
    },
    ...(s.mqtt ? mqttFamilies(s.mqtt) : []),
  ];
}

function mqttFamilies(m: MqttMetrics): MetricFamily[] {
  return [
    {
      name: "vigil_mqtt_connected",
      help: "1 while the MQTT broker is connected.",
      type: "gauge",
      samples: [{ value: m.connected ? 1 : 0 }],
    },
    {
      name: "vigil_mqtt_messages_published_total",
      help: "MQTT messages written to the broker's connection.",
      type: "counter",
      samples: [{ value: m.published }],
    },
    {
      name: "vigil_mqtt_messages_dropped_total",
      help: "Event messages dropped because the MQTT broker was down or slow too long.",
      type: "counter",
      samples: [{ value: m.dropped }],
    },
    {
      name: "vigil_mqtt_messages_queued",
      help: "Event messages waiting for the MQTT broker.",
      type: "gauge",
      samples: [{ value: m.queued }],
    },
  ];
}
