/**
 * The Hono application: error shaping, body limit, authentication, and one sub-app per resource.
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Database } from "../models/store/database.ts";
import type { SecretBox } from "../models/secret_box.ts";
import type { Fleet } from "../actors/fleet.ts";
import type { DetectorPool } from "../actors/detector_pool.ts";
import type { FeedMessage } from "../actors/event_recorder.ts";
import type { EventBus } from "../models/event_bus.ts";
import { VigilError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";
import { authenticate } from "./auth.ts";
import { healthRoutes } from "./health.ts";
import { cameraRoutes } from "./cameras.ts";
import { tokenRoutes } from "./tokens.ts";
import { discoveryRoutes } from "./discovery.ts";
import type { DiscoveryRegistry } from "../actors/discovery.ts";
import { analyticsRoutes } from "./analytics.ts";
import { eventRoutes } from "./events.ts";
import { detectionRoutes } from "./detections.ts";
import { consoleRoutes } from "./console.ts";
import type { ConsoleFiles } from "../web/build.ts";

/** What the routes need from the running system. */
export interface AppDeps {
  db: Database;
  secrets: SecretBox;
  fleet: Fleet;
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
   * LAN discovery (main.ts passes the one its move watcher listens to). Default: a registry of
   * its own with the real probe, which still scans only when asked.
   */
  discovery?: DiscoveryRegistry;
  /** Time limit of each ONVIF call while onboarding (default: the client's, 5 s). */
  onvifTimeoutMs?: number;
  /** The web console's files (default: built from `web/` on the first visit). */
  console?: () => Promise<ConsoleFiles>;
}

/** Bodies larger than this are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 1024 * 1024;

const log = createLogger("http");

/**
 * Builds the API.
 *
 * @param deps the running system
 * @returns the Hono app (`app.fetch` for `Deno.serve`, `app.request` in tests)
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof VigilError) {
      const status = error.status as 400;
      return c.json({ error: { code: error.code, message: error.message } }, status);
    }
    log.error("request failed", { method: c.req.method, path: c.req.path, error });
    return c.json({ error: { code: "internal", message: "internal server error" } }, 500);
  });
  app.notFound((c) =>
    c.json(
      { error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } },
      404,
    )
  );
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json({
          error: { code: "payload_too_large", message: `the body exceeds ${MAX_BODY_BYTES} bytes` },
        }, 413),
    }),
  );
  app.route("/api/health", healthRoutes(deps.db, deps.fleet));
  app.use("/api/*", authenticate(deps.db, deps.auth));
  app.route("/api/cameras", cameraRoutes(deps));
  app.route("/api/cameras", analyticsRoutes(deps));
  app.route("/api/events", eventRoutes(deps));
  app.route("/api/detections", detectionRoutes(deps.db));
  app.route("/api/tokens", tokenRoutes(deps.db));
  app.route("/api/discovery", discoveryRoutes(deps));
  app.route("/", consoleRoutes(deps.console));
  return app;
}
