/**
 * Builds the real application (database, secrets, fleet, routes) for route tests driven with
 * `app.request()`, plus an admin and a viewer token.
 *
 * @module
 */
import type { Hono } from "hono";
import type { TestDatabase } from "./databases.ts";
import { createApp } from "../../routes/app.ts";
import { openSecretBox } from "../../models/secret_box.ts";
import { createToken } from "../../models/auth.ts";
import { createFleet, type Fleet } from "../../actors/fleet.ts";
import { DetectorPool } from "../../actors/detector_pool.ts";
import type { FeedMessage } from "../../actors/event_recorder.ts";
import { readCatalog } from "../../models/detectors/catalog.ts";
import { createEventBus, type EventBus } from "../../models/event_bus.ts";
import { DEFAULT_MODELS_DIR } from "../../models/config.ts";

/** A running app for tests. */
export interface TestApp {
  app: Hono;
  fleet: Fleet;
  detectors: DetectorPool;
  events: EventBus<FeedMessage>;
  tokens: { admin: string; viewer: string; media: string };
  /** `app.request` with a token and, for a body, the JSON content type. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string },
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * @param db an open test database
 * @param options fleet tuning for tests
 * @returns the app; `close()` stops the fleet and the detectors (not the database)
 */
export async function startTestApp(
  db: TestDatabase,
  options: { stallMs?: number } = {},
): Promise<TestApp> {
  const secrets = await openSecretBox(db.dataDir);
  const detectors = new DetectorPool(await readCatalog(DEFAULT_MODELS_DIR));
  const events = createEventBus<FeedMessage>();
  const dataDir = db.dataDir;
  const fleet = createFleet({ db, secrets, dataDir, detectors, events, ...options });
  await fleet.start();
  const closing = new AbortController();
  const app = createApp({
    db,
    secrets,
    fleet,
    detectors,
    events,
    dataDir,
    auth: true,
    shutdown: closing.signal,
  });
  const tokens = {
    admin: (await createToken(db.sql, "test admin", "admin")).token,
    viewer: (await createToken(db.sql, "test viewer", "viewer")).token,
    media: (await createToken(db.sql, "test media", "media")).token,
  };
  return {
    app,
    fleet,
    detectors,
    events,
    tokens,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.token ?? tokens.admin}`,
      };
      let body: string | undefined;
      if (options.body !== undefined) {
        headers["content-type"] = "application/json";
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      }
      return await app.request(path, { method, headers, body });
    },
    async close() {
      closing.abort();
      await fleet.stop();
      await detectors.close();
    },
  };
}
