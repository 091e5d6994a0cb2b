/**
 * The Hono application: error shaping, body limit, authentication, and one sub-app per resource.
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Database } from "../models/store/database.ts";
import type { SecretBox } from "../models/secret_box.ts";
import type { Fleet } from "../actors/camera/fleet.ts";
import type { DetectorPool } from "../actors/camera/detector_pool.ts";
import type { FeedMessage } from "../actors/camera/event_recorder.ts";
import type { EventBus } from "../models/event_bus.ts";
import { authenticate } from "./auth.ts";
import { healthRoutes } from "./health.ts";
import { cameraRoutes } from "./cameras.ts";
import { tokenRoutes } from "./tokens.ts";
import { discoveryRoutes } from "./discovery.ts";
import type { DiscoveryRegistry } from "../actors/onvif/discovery.ts";
import type { OnvifWatch } from "../actors/onvif/move_watch.ts";
import type { NeighbourLookup } from "../models/net/neighbours.ts";
import { analyticsRoutes } from "./analytics.ts";
import { cameraMoveRoutes } from "./camera_moves.ts";
import { eventRoutes } from "./events.ts";
import { detectionRoutes } from "./detections.ts";
import { relayRoutes } from "./relay.ts";
import type { Relay } from "../actors/stream/relay.ts";
import { apiApp, errorJson, errorResponse } from "./openapi.ts";
import { documentRoutes } from "./document.ts";
import { docsRoutes } from "./docs.ts";
import { recordingRoutes } from "./recording.ts";
import { recordRoutes } from "./records.ts";
import { eventKeepRoutes } from "./event_keep.ts";
import type { Compiler } from "../actors/recording/compiler.ts";
import type { LiveManager } from "../actors/live/manager.ts";
import { liveRoutes } from "./live.ts";
import { liveMediaAuth, liveMediaRoutes } from "./live_media.ts";
import { dispatchRoutes } from "./dispatch.ts";
import { consoleRoutes } from "./console.ts";
import type { ConsoleFiles } from "../web/build.ts";
import { metricsRoutes } from "./metrics.ts";
import type { Metrics } from "../actors/metrics/collector.ts";

/** What the routes need from the running system. */
export interface AppDeps {
  db: Database;
  secrets: SecretBox;
  fleet: Fleet;
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
   * LAN discovery (main.ts passes the one its move watcher listens to). Default: a registry of
   * its own with the real probe, which still scans only when asked.
   */
  discovery?: DiscoveryRegistry;
  /** Time limit of each ONVIF call while onboarding (default: the client's, 5 s). */
  onvifTimeoutMs?: number;
  /** What `GET /metrics` serves (a token of any role reads it). */
  metrics: Metrics;
  /** compileRecord jobs. */
  compiler: Compiler;
  /** The box's neighbour table, for a camera's MAC at onboarding (default: the real one). */
  neighbours?: NeighbourLookup;
  /** Follows ONVIF cameras to new addresses; accepts and dismisses suspected moves. */
  watch?: OnvifWatch;
  /** Live sessions. */
  live: LiveManager;
  /** This box's stable id (the dispatcher's owner). */
  boxId: string;
  /** How clients reach this box (`VIGIL_PUBLIC_URL`); absent → each request's own origin. */
  publicUrl?: string;
  /** The web console's files (default: built from `web/` on the first visit). */
  console?: () => Promise<ConsoleFiles>;
}

/** Bodies larger than this are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Builds the API.
 *
 * @param deps the running system
 * @returns the app (`app.fetch` for `Deno.serve`, `app.request` in tests); its routes are
 *   described at `GET /api/openapi.json`
 */
export function createApp(deps: AppDeps): OpenAPIHono {
  const app = apiApp();
  app.onError(errorResponse);
  app.notFound((c) => errorJson(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  // Only the methods that take a body read one: a DELETE carrying a large body is answered as a
  // DELETE (its body is never read), not with a 413 its document does not list (found by the
  // route fuzzer against the contract).
  app.on(
    ["POST", "PUT", "PATCH"],
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorJson(c, "payload_too_large", `the body exceeds ${MAX_BODY_BYTES} bytes`),
    }),
  );
  app.route("/api/health", healthRoutes(deps.db, deps.fleet));
  // The contract is no secret, and the media server's team reads it before they hold a token.
  app.route("/api", documentRoutes(app, { maxBodyBytes: MAX_BODY_BYTES }));
  app.route("/api", docsRoutes());
  // One middleware, so failed attempts on /metrics and /api count against one limit.
  const auth = authenticate(deps.db, deps.auth, deps.relay.limiter);
  app.use("/api/*", auth);
  app.use("/metrics", auth);
  app.route("/metrics", metricsRoutes(deps.metrics));
  app.route("/api/cameras", cameraRoutes(deps));
  app.route("/api/cameras", analyticsRoutes(deps));
  app.route("/api/cameras", recordingRoutes(deps));
  app.route("/api/cameras", cameraMoveRoutes(deps));
  app.route("/api/events", eventRoutes(deps));
  app.route("/api/events", eventKeepRoutes(deps));
  app.route("/api/records", recordRoutes(deps));
  app.route("/api/detections", detectionRoutes(deps.db));
  app.route("/api/tokens", tokenRoutes(deps.db));
  app.route("/api/discovery", discoveryRoutes(deps));
  app.route("/api/cameras", relayRoutes(deps));
  app.route("/api/live", liveRoutes(deps));
  app.route("/api/dispatch", dispatchRoutes(deps));
  app.use("/live/*", liveMediaAuth(deps, auth));
  app.route("/live", liveMediaRoutes(deps));
  app.route("/", consoleRoutes(deps.console));
  return app;
}
