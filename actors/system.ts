/**
 * Everything that runs behind the HTTP API, started and stopped as one: the RTSP relay with its
 * stream hub, the camera fleet and its service, the shared detectors, the live event feed, LAN
 * discovery with its camera-move watch and optional interval, the clip compiler, retention, the
 * metrics and live sessions. main.ts and the tests assemble Vigil through this one function, so
 * a test runs the same wiring as the server.
 *
 * @module
 */
import { type Actor, createActor } from "xstate";
import type { Database } from "../models/store/database.ts";
import { openSecretBox, type SecretBox } from "../models/secret_box.ts";
import { readCatalog } from "../models/detectors/catalog.ts";
import { createEventBus, type EventBus } from "../models/event_bus.ts";
import type { RetentionOptions } from "../models/store/retention.ts";
import { startRetention } from "./store/retention.ts";
import type { ProbeOptions, ProbeResult } from "../models/onvif/probe.ts";
import { createLogger } from "../models/log.ts";
import { withTimeout } from "../models/timeout.ts";
import { createFleet, type Fleet } from "./camera/fleet.ts";
import type { UnitOptions } from "./camera/camera_unit.ts";
import { CameraService } from "./camera/camera_service.ts";
import { DetectorPool } from "./camera/detector_pool.ts";
import type { FeedMessage } from "./camera/event_recorder.ts";
import { discoveryIntervalActor, DiscoveryRegistry } from "./onvif/discovery.ts";
import { type OnvifWatch, watchOnvifMoves } from "./onvif/move_watch.ts";
import { createPtzControl, type PtzControl } from "./onvif/ptz_control.ts";
import { type Compiler, createCompiler } from "./recording/compiler.ts";
import {
  type RecordingsRetention,
  type RecordingsRetentionOptions,
  startRecordingsRetention,
} from "./recording/retention.ts";
import { type Relay, type RelayOptions, startRelay } from "./stream/relay.ts";
import { startLive } from "./live/manager.ts";
import type { LiveManager, LiveOptions } from "./live/manager_api.ts";
import { hubSource } from "./live/source.ts";
import { loadBoxId } from "../models/box.ts";
import { join } from "node:path";
import { withCredentials } from "../models/media/rtsp_url.ts";
import { internalCredentials } from "../models/relay_keys.ts";
import type { NeighbourLookup } from "../models/net/neighbours.ts";
import { startLagMonitor } from "./metrics/lag_monitor.ts";
import { Coordinator } from "./cluster/coordinator.ts";
import { loadClusterKey } from "../models/store/cluster_key.ts";
import { createMetrics, type Metrics } from "./metrics/collector.ts";
import { type MqttBridge, startMqttBridge } from "./mqtt/bridge.ts";
import { cameraLink } from "./mqtt/camera_link.ts";
import type { MqttSettings } from "../models/mqtt/mqtt_settings.ts";

/** What {@linkcode startSystem} needs. */
export interface SystemOptions {
  db: Database;
  dataDir: string;
  /** Where the detection models are (see models/detectors/catalog.ts). */
  modelsDir: string;
  /** Retention settings; absent → no retention job (tests). */
  retention?: Pick<RetentionOptions, "detectionDays" | "eventDays">;
  /** Seconds between automatic discovery scans; 0 or absent → only when asked. */
  discoveryIntervalS?: number;
  /** The discovery probe (default: real WS-Discovery; tests pass a scripted one). */
  probe?: (options: ProbeOptions) => Promise<ProbeResult>;
  /** Time limit of each ONVIF call (default: the client's). */
  onvifTimeoutMs?: number;
  /** Timing of the cameras' ONVIF event subscriptions (tests shorten them). */
  pullPoint?: UnitOptions["pullPoint"];
  /** Stall watchdog per camera (default: the capture's). */
  stallMs?: number;
  /** Target recording segment length in seconds (default 10). */
  segmentSeconds?: number;
  /** compileRecord jobs at once (default 1). */
  compileConcurrency?: number;
  /** Recordings retention and the disk guard; absent → no retention job (tests). */
  recordings?: Omit<RecordingsRetentionOptions, "sql" | "dataDir">;
  /** The box's neighbour table (default: the real one); tests on 127.0.0.1 pass their own. */
  neighbours?: NeighbourLookup;
  /** `VIGIL_AUTH` for relay readers. Default true. */
  auth?: boolean;
  /** The relay's address, port (default 127.0.0.1:0), bounds and puller idle timeout. */
  rtsp?: Pick<RelayOptions, "hostname" | "port" | "limits" | "idleTimeoutMs">;
  /**
   * Live sessions: idle timeout, budgets, linger, per-token quota, token re-check, push allow list
   * and the box's other listening ports (defaults: 30 s, 2 transcodes, 32 sessions, no quota
   * beyond the box's, 15 s, nothing allowed, none).
   */
  live?:
    & Pick<
      LiveOptions,
      "maxSessionsPerToken" | "recheckMs" | "pushAllow" | "ownPorts" | "lingerMs"
    >
    & { idleMs?: number; maxTranscodes?: number; maxSessions?: number };
  /** The MQTT bridge's broker and topics; absent → no MQTT. */
  mqtt?: MqttSettings;
  /** `VIGIL_PUBLIC_URL`, for the snapshot URLs MQTT publishes (absent → paths). */
  publicUrl?: string;
  /**
   * Several boxes on one PostgreSQL (actors/cluster/coordinator.ts): this box takes only the
   * cameras it holds a lease on. Absent → a box alone that owns every camera.
   */
  cluster?: ClusterOptions;
}

/** This box as the other boxes see it. */
export interface ClusterOptions {
  /** How the others and clients reach this box (`VIGIL_PUBLIC_URL`). */
  publicUrl: string;
  /** Cameras this box takes at most. */
  capacity: number;
  /** Vigil's version, shown by `GET /api/boxes`. */
  version: string;
  /** Lease time and renewal interval (tests shorten them). */
  ttlMs?: number;
  intervalMs?: number;
}

/** The running system: the routes' dependencies, plus what it takes to stop it. */
export interface System {
  db: Database;
  dataDir: string;
  secrets: SecretBox;
  fleet: Fleet;
  /** Adds, changes, moves and deletes cameras: what the API asks of them goes through it. */
  cameras: CameraService;
  /** The RTSP server, the stream hub and the relay's keys. */
  relay: Relay;
  detectors: DetectorPool;
  events: EventBus<FeedMessage>;
  discovery: DiscoveryRegistry;
  watch: OnvifWatch;
  /** What `GET /metrics` serves. */
  metrics: Metrics;
  onvifTimeoutMs: number | undefined;
  /** PTZ of ONVIF cameras. */
  ptz: PtzControl;
  /** Live sessions. */
  live: LiveManager;
  /** This box's stable id (the dispatcher names the owner of a camera by it). */
  boxId: string;
  /** Several boxes: this box's leases (absent on a box alone). */
  cluster: Coordinator | undefined;
  /** The key boxes sign segment fetches with (models/store/cluster_key.ts). */
  clusterKey: Uint8Array;
  /** compileRecord jobs. */
  compiler: Compiler;
  /** Recordings retention and the disk guard, when configured. */
  recordingsRetention: RecordingsRetention | undefined;
  neighbours: NeighbourLookup | undefined;
  /**
   * Stops everything, rows first: the discovery interval, live sessions and the compiles (a
   * running one is put back in the queue for the next start) with recordings retention, then
   * every camera (their recordings finish the open segment; their writers write or spill
   * everything by the deadline, whatever the database does), then the relay (its pullers' ffmpeg
   * killed and awaited), then the move watch, retention and the detectors together — given at most
   * {@linkcode AUX_STOP_MS}, since nothing durable depends on them and a hung database or ONVIF
   * device must not hold the exit. The database stays open: its owner closes it.
   *
   * @param options `deadline` (epoch ms) by which every buffered row must be written or spilled
   */
  stop(options?: { deadline?: number }): Promise<void>;
}

const log = createLogger("system");

/** How long the move watch, retention and the detectors each get to stop. */
export const AUX_STOP_MS = 1_500;
/**
 * How long the relay may take to stop (its pullers' ffmpegs get SIGTERM, then SIGKILL after 2 s):
 * bounded like the others so a stuck one cannot hold the shutdown.
 */
export const RELAY_STOP_MS = 5_000;

/** Waits for `work`, or logs and moves on after `ms`. */
async function bounded(what: string, work: Promise<void> | undefined, ms: number): Promise<void> {
  if (!work) return;
  const late = new Error("late");
  try {
    await withTimeout(work, ms, () => late);
  } catch (error) {
    if (error === late) log.warn(`${what} did not stop in time; going on`, { ms });
    else log.warn(`${what} failed to stop`, { error });
  }
}

/**
 * Starts everything and restores each camera's desired state.
 *
 * @param options database, data and models dirs, schedules
 * @returns the running system
 * @example
 * ```ts
 * const system = await startSystem({ db, dataDir: "./data", modelsDir: "./assets/models" });
 * const app = createApp({ ...system, auth: true });
 * await system.stop();
 * ```
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const { db, dataDir } = options;
  const secrets = await openSecretBox(dataDir);
  const detectors = new DetectorPool(await readCatalog(options.modelsDir));
  const events = createEventBus<FeedMessage>();
  const relay = await startRelay({ sql: db.sql, dataDir, auth: options.auth, ...options.rtsp });
  const boxId = await loadBoxId(dataDir);
  const clusterKey = await loadClusterKey(db.sql);
  // Live sessions start after the fleet; the coordinator reaches them through this.
  const started: { live?: LiveManager } = {};
  const cluster = options.cluster && new Coordinator({
    sql: db.sql,
    box: {
      id: boxId,
      baseUrl: options.cluster.publicUrl,
      rtspUrl: `rtsp://${new URL(options.cluster.publicUrl).hostname}:${relay.server.port}`,
      capacity: options.cluster.capacity,
      version: options.cluster.version,
    },
    endLive: (id) =>
      started.live?.endCameraSessions(id, "the camera moved to another box") ??
        Promise.resolve(),
    ttlMs: options.cluster.ttlMs,
    intervalMs: options.cluster.intervalMs,
  });
  const fleet = createFleet({
    db,
    secrets,
    dataDir,
    detectors,
    events,
    hub: relay.hub,
    stallMs: options.stallMs,
    segmentSeconds: options.segmentSeconds,
    onvifTimeoutMs: options.onvifTimeoutMs,
    pullPoint: options.pullPoint,
    boxId: cluster?.boxId,
    onLeaseLost: cluster && (() => void cluster.sync()),
    placement: cluster && ((row) => cluster.place(row)),
  });
  const retention = options.retention
    ? startRetention(db.sql, { ...options.retention, dataDir })
    : undefined;
  try {
    await fleet.start(await cluster?.join());
  } catch (error) {
    // Nothing else will stop what was started: the relay would keep its port and its pullers.
    await fleet.stop().catch(() => {});
    await Promise.all([
      // Joining armed the lease-expiry timer and the renewal rounds.
      cluster?.stop().catch(() => {}),
      bounded("the relay", relay.stop(), RELAY_STOP_MS),
      bounded("retention", retention?.stop(), AUX_STOP_MS),
    ]);
    throw error;
  }
  const compiler = createCompiler({
    sql: db.sql,
    dataDir,
    boxId,
    clusterKey,
    concurrency: options.compileConcurrency,
  });
  await compiler.start();
  const recordingsRetention = options.recordings
    ? startRecordingsRetention({ sql: db.sql, dataDir, boxId, ...options.recordings })
    : undefined;
  // Discovery never probes on its own unless an interval asks for it; the watch follows
  // onboarded cameras to new addresses whenever a scan (API or interval) sees them move.
  const discovery = new DiscoveryRegistry({ probe: options.probe });
  const watch = watchOnvifMoves({
    registry: discovery,
    db,
    secrets,
    fleet,
    timeoutMs: options.onvifTimeoutMs,
    neighbours: options.neighbours,
  });
  const cameras = new CameraService({
    db,
    secrets,
    fleet,
    watch,
    onvifTimeoutMs: options.onvifTimeoutMs,
    neighbours: options.neighbours,
    compiler,
  });
  const ptz = createPtzControl({ db, secrets, timeoutMs: options.onvifTimeoutMs });
  const lag = startLagMonitor();
  let mqtt: MqttBridge | undefined;
  const metrics = createMetrics({ fleet, db, lag, mqtt: () => mqtt?.stats() });
  const live = await startLive({
    db,
    fleet,
    source: hubSource(relay.hub),
    publisher: {
      publishUrl: (id) =>
        withCredentials(
          relay.server.url(`/live/${id}`),
          internalCredentials(relay.keys, "publish", `/live/${id}`),
        ),
      readers: (id) => relay.server.stats(`/live/${id}`)?.readers ?? 0,
      forward: (id, from) => relay.server.forward(from, `/live/${id}`),
    },
    dir: join(dataDir, "live"),
    idleMs: options.live?.idleMs ?? 30_000,
    maxTranscodes: options.live?.maxTranscodes ?? 2,
    maxSessions: options.live?.maxSessions ?? 32,
    lingerMs: options.live?.lingerMs,
    maxSessionsPerToken: options.live?.maxSessionsPerToken,
    recheckMs: options.live?.recheckMs,
    pushAllow: options.live?.pushAllow,
    ownPorts: () => [relay.server.port, ...(options.live?.ownPorts?.() ?? [])],
  });
  if (options.mqtt) {
    mqtt = startMqttBridge({
      settings: options.mqtt,
      bus: events,
      cameras: cameraLink(db, fleet),
      baseUrl: options.publicUrl ?? "",
      clientId: `vigil-${boxId}`,
    });
  }
  started.live = live;
  cluster?.run(fleet);
  const intervalS = options.discoveryIntervalS ?? 0;
  let interval: Actor<typeof discoveryIntervalActor> | undefined;
  if (intervalS > 0) {
    interval = createActor(discoveryIntervalActor, { input: { registry: discovery, intervalS } });
    interval.start();
    log.info("discovery scans scheduled", { everyS: intervalS });
  }
  return {
    db,
    dataDir,
    secrets,
    fleet,
    cameras,
    relay,
    detectors,
    events,
    discovery,
    watch,
    metrics,
    onvifTimeoutMs: options.onvifTimeoutMs,
    ptz,
    live,
    boxId,
    cluster,
    clusterKey,
    compiler,
    recordingsRetention,
    neighbours: options.neighbours,
    async stop(options = {}) {
      interval?.stop();
      // The leases stay: a restart within their time keeps this box's cameras where they are.
      await cluster?.stop();
      lag.stop();
      // Told first so a re-onboarding in progress ends, but awaited only after the cameras:
      // an ONVIF call may take seconds, and the rows must reach the database or disk first.
      const watchStopped = watch.stop();
      // A running compile is killed and queued again for the next start; nothing is lost.
      // A camera still moving is told to stop before the process goes.
      await Promise.all([
        live.stop(),
        compiler.stop(),
        recordingsRetention?.stop(),
        bounded("PTZ", ptz.close(), AUX_STOP_MS),
      ]);
      await fleet.stop(options);
      await bounded("the relay", relay.stop(), RELAY_STOP_MS);
      await Promise.all([
        bounded("the camera-move watch", watchStopped, AUX_STOP_MS),
        bounded("retention", retention?.stop(), AUX_STOP_MS),
        bounded("the detectors", detectors.close(), AUX_STOP_MS),
        // After the cameras, so the closes of their open events are published too.
        bounded("mqtt", mqtt?.stop(), AUX_STOP_MS * 2),
      ]);
    },
  };
}
