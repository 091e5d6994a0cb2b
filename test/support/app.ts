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

/** A running app for tests. */
export interface TestApp {
  app: Hono;
  fleet: Fleet;
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
 * @returns the app; `close()` stops the fleet (not the database)
 */
export async function startTestApp(db: TestDatabase): Promise<TestApp> {
  const secrets = await openSecretBox(db.dataDir);
  const fleet = createFleet({ db, secrets, dataDir: db.dataDir });
  await fleet.start();
  const app = createApp({ db, secrets, fleet, auth: true });
  const tokens = {
    admin: (await createToken(db.sql, "test admin", "admin")).token,
    viewer: (await createToken(db.sql, "test viewer", "viewer")).token,
    media: (await createToken(db.sql, "test media", "media")).token,
  };
  return {
    app,
    fleet,
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
    close: () => fleet.stop(),
  };
}
