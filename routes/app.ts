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
import { VigilError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";
import { authenticate } from "./auth.ts";
import { healthRoutes } from "./health.ts";
import { cameraRoutes } from "./cameras.ts";
import { tokenRoutes } from "./tokens.ts";

/** What the routes need from the running system. */
export interface AppDeps {
  db: Database;
  secrets: SecretBox;
  fleet: Fleet;
  /** Whether requests must carry a bearer token. */
  auth: boolean;
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
  app.route("/api/tokens", tokenRoutes(deps.db));
  return app;
}
