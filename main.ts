/**
 * Vigil's entry point: config → database → the system (RTSP relay, fleet, detectors, discovery;
 * see actors/system.ts) → Hono app → Deno.serve, and
 * a graceful shutdown on SIGINT/SIGTERM: stop accepting, stop the cameras (their writers flush),
 * close the database — within 10 s, or exit anyway.
 *
 * @module
 */
import { loadConfig } from "./models/config.ts";
import { configureLogging, createLogger } from "./models/log.ts";
import { ValidationError } from "./models/errors.ts";
import { openDatabase } from "./models/store/database.ts";
import { ensureAdminToken } from "./models/auth.ts";
import { startSystem } from "./actors/system.ts";
import { createApp } from "./routes/app.ts";

const SHUTDOWN_DEADLINE_MS = 10_000;
/** How long open HTTP responses get to finish at shutdown before the rest stops anyway. */
const HTTP_DRAIN_MS = 2_000;
const log = createLogger("main");

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
  configureLogging(config.logLevel);
  await Deno.mkdir(config.dataDir, { recursive: true });

  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  if (config.auth) {
    const token = await ensureAdminToken(db.sql, config.dataDir);
    // Printed once, by design: the operator needs it to make the first API call.
    if (token) log.info(`admin token created (also in ${config.dataDir}/admin-token): ${token}`);
  } else {
    log.warn("authentication is off (VIGIL_AUTH=off): every client is an admin");
  }

  const system = await startSystem({
    db,
    dataDir: config.dataDir,
    modelsDir: config.modelsDir,
    retention: {
      detectionDays: config.detectionRetentionDays,
      eventDays: config.eventRetentionDays,
    },
    discoveryIntervalS: config.discoveryIntervalS,
    auth: config.auth,
    rtsp: {
      hostname: config.rtspHost,
      port: config.rtspPort,
      idleTimeoutMs: config.hubIdleS * 1000,
      limits: {
        maxReaders: config.rtspMaxReaders,
        maxReadersPerPath: config.rtspMaxReadersPerPath,
      },
    },
    live: {
      idleMs: config.live.idleS * 1000,
      maxTranscodes: config.live.maxTranscodes,
      maxSessions: config.live.maxSessions,
    },
  });
  const closing = new AbortController();
  const app = createApp({
    ...system,
    auth: config.auth,
    shutdown: closing.signal,
    publicUrl: config.publicUrl,
  });

  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) => log.info("listening", { hostname, port, db: db.kind }),
  }, app.fetch);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    const deadline = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      Deno.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    closing.abort();
    // Long-lived responses were told to end; a client that still holds one open must not keep
    // the cameras' writers from flushing.
    await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, HTTP_DRAIN_MS))]);
    await system.stop();
    await db.close();
    clearTimeout(deadline);
    log.info("stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
}

if (import.meta.main) await main();
