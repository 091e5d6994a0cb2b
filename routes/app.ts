/**
 * The Hono application: error shaping, body limit, authentication, and one sub-app per resource.
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { AppDeps } from "./shared/app_deps.ts";
import { authenticate } from "./auth.ts";
import { healthRoutes } from "./health.ts";
import { cameraRoutes } from "./cameras.ts";
import { tokenRoutes } from "./tokens.ts";
import { discoveryRoutes } from "./discovery.ts";
import { analyticsRoutes } from "./cameras/analytics.ts";
import { cameraMoveRoutes } from "./cameras/moves.ts";
import { eventRoutes } from "./events.ts";
import { detectionRoutes } from "./detections.ts";
import { relayRoutes } from "./relay.ts";
import { apiApp, errorJson, errorResponse } from "./openapi.ts";
import { documentRoutes } from "./document.ts";
import { docsRoutes } from "./docs.ts";
import { recordingRoutes } from "./cameras/recording.ts";
import { recordRoutes } from "./records.ts";
import { eventKeepRoutes } from "./event_keep.ts";
import { liveRoutes } from "./live.ts";
import { liveMediaAuth, liveMediaRoutes } from "./live_media.ts";
import { dispatchRoutes } from "./dispatch.ts";
import { consoleRoutes } from "./console.ts";
import { metricsRoutes } from "./metrics.ts";
import { meRoutes } from "./me.ts";
import { cors } from "./shared/cors.ts";
import { ptzRoutes } from "./cameras/ptz.ts";
import { onvifEventRoutes } from "./cameras/onvif_events.ts";
import { boxRoutes } from "./boxes.ts";
import { clusterRoutes } from "./cluster.ts";
import { cameraInBody, cameraInPath, OWNER_ROUTES, ownerOnly } from "./shared/owner.ts";

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
  // First: a preflight carries no token, and every reply to a listed origin needs the headers.
  const allowOrigins = cors(deps.corsOrigins ?? []);
  app.use("/api/*", allowOrigins);
  app.use("/live/*", allowOrigins);
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
  // Box to box: its own credential (a signed request), never a user's token.
  app.route("/api/cluster", clusterRoutes(deps));
  // One middleware, so failed attempts on /metrics and /api count against one limit.
  const auth = authenticate(deps.db, deps.auth, deps.relay.limiter);
  app.use("/api/*", auth);
  app.use("/metrics", auth);
  app.route("/metrics", metricsRoutes(deps.metrics));
  // Several boxes: what needs the camera's owner answers 307 to it from any other box.
  for (const route of OWNER_ROUTES) {
    const owner = ownerOnly(deps, route.camera === "body" ? cameraInBody : cameraInPath);
    app.on([...route.methods], route.path, owner);
  }
  app.route("/api/cameras", cameraRoutes(deps));
  app.route("/api/cameras", analyticsRoutes(deps));
  app.route("/api/cameras", recordingRoutes(deps));
  app.route("/api/cameras", cameraMoveRoutes(deps));
  app.route("/api/cameras", ptzRoutes(deps));
  app.route("/api/cameras", onvifEventRoutes(deps));
  app.route("/api/events", eventRoutes(deps));
  app.route("/api/events", eventKeepRoutes(deps));
  app.route("/api/records", recordRoutes(deps));
  app.route("/api/detections", detectionRoutes(deps.db));
  app.route("/api/tokens", tokenRoutes(deps.db));
  app.route("/api/me", meRoutes());
  app.route("/api/discovery", discoveryRoutes(deps));
  app.route("/api/cameras", relayRoutes(deps));
  app.route("/api/live", liveRoutes(deps));
  app.route("/api/dispatch", dispatchRoutes(deps));
  app.route("/api/boxes", boxRoutes(deps));
  app.use("/live/*", liveMediaAuth(deps, auth));
  app.route("/live", liveMediaRoutes(deps));
  app.route("/", consoleRoutes(deps.console));
  return app;
}
