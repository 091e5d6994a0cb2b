/**
 * What the routes need from the running system (`startSystem` provides most of it; main.ts adds
 * the HTTP settings). Every route file takes it, and routes/app.ts passes it to each.
 *
 * @module
 */
import type { Database } from "../../models/store/database.ts";
import type { EventBus } from "../../models/event_bus.ts";
import type { Fleet } from "../../actors/camera/fleet.ts";
import type { CameraService } from "../../actors/camera/camera_service.ts";
import type { DetectorPool } from "../../actors/camera/detector_pool.ts";
import type { FeedMessage } from "../../actors/camera/event_recorder.ts";
import type { DiscoveryRegistry } from "../../actors/onvif/discovery.ts";
import type { Relay } from "../../actors/stream/relay.ts";
import type { Compiler } from "../../actors/recording/compiler.ts";
import type { LiveManager } from "../../actors/live/manager_api.ts";
import type { Metrics } from "../../actors/metrics/collector.ts";
import type { ConsoleFiles } from "../../web/build.ts";
import type { PtzControl } from "../../actors/onvif/ptz_control.ts";
import type { Coordinator } from "../../actors/cluster/coordinator.ts";

/** What the routes need from the running system. */
export interface AppDeps {
  db: Database;
  fleet: Fleet;
  /** Adds, changes, moves and deletes cameras (database and fleet together). */
  cameras: CameraService;
  /** The RTSP relay (signed relay URLs). */
  relay: Relay;
  /** The models this box can run. */
  detectors: DetectorPool;
  /** The live event feed. */
  events: EventBus<FeedMessage>;
  /** Vigil's data dir (event snapshots). */
  dataDir: string;
  /** Aborted when the server begins to stop: long-lived responses (the event feed) end. */
  shutdown?: AbortSignal;
  /** Whether requests must carry a bearer token. */
  auth: boolean;
  /**
   * Quiet period after which the event feed sends a keep-alive and re-checks its token (default
   * 15 s): a revoked token's feed ends within this long.
   */
  feedHeartbeatMs?: number;
  /**
   * How often an open MJPEG response re-checks its token (default: the live manager's re-check,
   * 15 s): a revoked token's response ends within this long.
   */
  liveRecheckMs?: number;
  /**
   * LAN discovery (main.ts passes the one its move watcher listens to). Default: a registry of
   * its own with the real probe, which still scans only when asked.
   */
  discovery?: DiscoveryRegistry;
  /** What `GET /metrics` serves (a token of any role reads it). */
  metrics: Metrics;
  /** compileRecord jobs. */
  compiler: Compiler;
  /** `GET /api/records/{id}/verify` checks at once (default 2; tests). */
  maxVerifying?: number;
  /** Live sessions. */
  live: LiveManager;
  /** PTZ of ONVIF cameras. */
  ptz: PtzControl;
  /** This box's stable id (the dispatcher's owner). */
  boxId: string;
  /** How clients reach this box (`VIGIL_PUBLIC_URL`); absent → each request's own origin. */
  publicUrl?: string;
  /** Origins a browser may call the API and `/live` from (`VIGIL_CORS_ORIGINS`); default none. */
  corsOrigins?: readonly string[];
  /** Several boxes on one database: this box's leases (absent on a box alone). */
  cluster?: Coordinator;
  /** The key other boxes sign their segment fetches with (`GET /api/cluster/segments/{id}`). */
  clusterKey: Uint8Array;
  /** The web console's files (default: built from `web/` on the first visit). */
  console?: () => Promise<ConsoleFiles>;
}
