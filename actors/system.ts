/**
 * Everything that runs behind the HTTP API, started and stopped as one: the RTSP relay with its
 * stream hub, the camera fleet, the shared detectors, the live event feed, LAN discovery with its
 * camera-move watch, the optional discovery interval, retention and live sessions. main.ts and
 * the tests assemble Vigil through this one function, so a test runs the same wiring as the
 * server; the result is also the dependencies the routes need
 * (`createApp({ ...system, auth, shutdown })`).
 *
 * @module
 */
import { type Actor, createActor } from "xstate";
import type { Database } from "../models/store/database.ts";
import { openSecretBox, type SecretBox } from "../models/secret_box.ts";
import { readCatalog } from "../models/detectors/catalog.ts";
import { createEventBus, type EventBus } from "../models/event_bus.ts";
import type { RetentionOptions } from "../models/store/retention.ts";
import { startRetention } from "./retention.ts";
import type { ProbeOptions, ProbeResult } from "../models/onvif/probe.ts";
import { createLogger } from "../models/log.ts";
import { createFleet, type Fleet } from "./fleet.ts";
import { DetectorPool } from "./detector_pool.ts";
import type { FeedMessage } from "./event_recorder.ts";
import { discoveryIntervalActor, DiscoveryRegistry } from "./discovery.ts";
import { type OnvifWatch, watchOnvifMoves } from "./onvif_watch.ts";
import { type Relay, type RelayOptions, startRelay } from "./relay.ts";
import { type LiveManager, startLive } from "./live.ts";
import { hubSource } from "./live_source.ts";
import { loadBoxId } from "../models/box.ts";
import { join } from "node:path";
import { withCredentials } from "../models/media/rtsp_url.ts";

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
  /** Stall watchdog per camera (default: the capture's). */
  stallMs?: number;
  /** `VIGIL_AUTH` for relay readers. Default true. */
  auth?: boolean;
  /** The relay's address, port (default 127.0.0.1:0), bounds and puller idle timeout. */
  rtsp?: Pick<RelayOptions, "hostname" | "port" | "limits" | "idleTimeoutMs">;
  /** Live sessions: idle timeout, budgets, linger (defaults: 30 s, 2 transcodes, 32 sessions). */
  live?: { idleMs?: number; maxTranscodes?: number; maxSessions?: number; lingerMs?: number };
}

/** The running system: the routes' dependencies, plus what it takes to stop it. */
export interface System {
  db: Database;
  dataDir: string;
  secrets: SecretBox;
  fleet: Fleet;
  /** The RTSP server, the stream hub and the relay's keys. */
  relay: Relay;
  detectors: DetectorPool;
  events: EventBus<FeedMessage>;
  discovery: DiscoveryRegistry;
  watch: OnvifWatch;
  onvifTimeoutMs: number | undefined;
  /** Live sessions. */
  live: LiveManager;
  /** This box's stable id (the dispatcher names the owner of a camera by it). */
  boxId: string;
  /** Stops the discovery interval, the move watch, live sessions, every camera (writers flush),
   * the relay, retention and the detectors, in that order. The database stays open: its owner
   * closes it. */
  stop(): Promise<void>;
}

const log = createLogger("system");

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
  const fleet = createFleet({
    db,
    secrets,
    dataDir,
    detectors,
    events,
    hub: relay.hub,
    stallMs: options.stallMs,
  });
  const retention = options.retention ? startRetention(db.sql, options.retention) : undefined;
  await fleet.start();
  // Discovery never probes on its own unless an interval asks for it; the watch follows
  // onboarded cameras to new addresses whenever a scan (API or interval) sees them move.
  const discovery = new DiscoveryRegistry({ probe: options.probe });
  const watch = watchOnvifMoves({
    registry: discovery,
    db,
    secrets,
    fleet,
    timeoutMs: options.onvifTimeoutMs,
  });
  const live = await startLive({
    db,
    fleet,
    source: hubSource(relay.hub),
    publisher: {
      publishUrl: (id) => withCredentials(relay.server.url(`/live/${id}`), relay.keys.internal),
      readers: (id) => relay.server.stats(`/live/${id}`)?.readers ?? 0,
    },
    dir: join(dataDir, "live"),
    idleMs: options.live?.idleMs ?? 30_000,
    maxTranscodes: options.live?.maxTranscodes ?? 2,
    maxSessions: options.live?.maxSessions ?? 32,
    lingerMs: options.live?.lingerMs,
  });
  const boxId = await loadBoxId(dataDir);
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
    relay,
    detectors,
    events,
    discovery,
    watch,
    onvifTimeoutMs: options.onvifTimeoutMs,
    live,
    boxId,
    async stop() {
      interval?.stop();
      await watch.stop();
      await live.stop();
      await fleet.stop();
      await relay.stop();
      await retention?.stop();
      await detectors.close();
    },
  };
}
