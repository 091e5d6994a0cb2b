/**
 * Builds the real application — the same `startSystem` main.ts runs, and its routes — for tests
 * driven with `app.request()`, plus a token of each role.
 *
 * @module
 */
import { AssertionError } from "node:assert/strict";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { TestDatabase } from "./databases.ts";
import { createApp } from "../../routes/app.ts";
import { createToken } from "../../models/auth.ts";
import { DEFAULT_MODELS_DIR } from "../../models/config.ts";
import { startSystem, type System, type SystemOptions } from "../../actors/system.ts";
import { type Contract, contractOf, type OpenApiDocument } from "./contract.ts";

/**
 * A running app for tests: the system main.ts runs, its routes, and tokens of each role. Every
 * reply it gives (through `call` or `app.request`) is checked against the API document; `close()`
 * fails the test with the replies that did not conform.
 */
export interface TestApp extends Omit<System, "stop"> {
  app: OpenAPIHono;
  /** The API document, compiled. */
  contract: Contract;
  tokens: { admin: string; viewer: string; media: string };
  /** The signal the app's long responses end on (aborted by `close()`). */
  shutdown: AbortSignal;
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
 * @param options camera stall watchdog, discovery probe (never real multicast outside a
 *   namespace; default a probe that finds nothing), ONVIF time limit, relay settings, models dir
 *   (default the checkout's `assets/models`), neighbour table (on 127.0.0.1 there is none: tests
 *   of camera moves pass one), live budgets, public URL
 * @returns the app; `close()` stops the system (not the database)
 */
export async function startTestApp(
  db: TestDatabase,
  options:
    & Partial<
      Pick<
        SystemOptions,
        | "stallMs"
        | "probe"
        | "onvifTimeoutMs"
        | "rtsp"
        | "modelsDir"
        | "neighbours"
        | "segmentSeconds"
        | "live"
        | "pullPoint"
      > & { feedHeartbeatMs: number; liveRecheckMs: number; maxVerifying: number }
    >
    & { publicUrl?: string; corsOrigins?: string[] } = {},
): Promise<TestApp> {
  const { stop, ...system } = await startSystem({
    db,
    dataDir: db.dataDir,
    modelsDir: options.modelsDir ?? DEFAULT_MODELS_DIR,
    live: options.live,
    stallMs: options.stallMs,
    segmentSeconds: options.segmentSeconds,
    onvifTimeoutMs: options.onvifTimeoutMs,
    pullPoint: options.pullPoint,
    neighbours: options.neighbours,
    rtsp: options.rtsp,
    // On the host a scan must never send multicast: the default probe finds nothing.
    probe: options.probe ?? (() => Promise.resolve({ matches: [], rejected: 0, interfaces: [] })),
  });
  const closing = new AbortController();
  const app = createApp({
    ...system,
    auth: true,
    shutdown: closing.signal,
    publicUrl: options.publicUrl,
    corsOrigins: options.corsOrigins,
    feedHeartbeatMs: options.feedHeartbeatMs,
    liveRecheckMs: options.liveRecheckMs,
    maxVerifying: options.maxVerifying,
  });
  const contract = contractOf(
    await (await app.request("/api/openapi.json")).json() as OpenApiDocument,
  );
  const failures: string[] = [];
  const serve = app.fetch;
  app.fetch = async (request, ...rest) => {
    const response = await serve(request, ...rest);
    const problem = await contract.check(request, response);
    if (problem) failures.push(problem);
    return response;
  };
  const tokens = {
    admin: (await createToken(db.sql, "test admin", "admin")).token,
    viewer: (await createToken(db.sql, "test viewer", "viewer")).token,
    media: (await createToken(db.sql, "test media", "media")).token,
  };
  return {
    ...system,
    app,
    contract,
    tokens,
    shutdown: closing.signal,
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
      await stop();
      if (failures.length > 0) {
        throw new AssertionError({
          message: `replies that break the API contract:\n${failures.join("\n")}`,
        });
      }
    },
  };
}
