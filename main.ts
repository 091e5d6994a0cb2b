/**
 * Vigil's entry point: config → database → the system (RTSP relay, fleet, detectors, discovery;
 * see actors/system.ts) → Hono app → Deno.serve, and
 * a graceful shutdown on SIGINT/SIGTERM: stop accepting, stop the cameras (their writers write or
 * spill every buffered row within 5 s of the signal), close the database — within 10 s, or exit
 * anyway. Every step that waits on something outside (HTTP clients, the database, ONVIF devices)
 * is bounded, so the rows are on disk well before the deadline even when the database hangs.
 *
 * @module
 */
import { loadConfig } from "./models/config.ts";
import { configureLogging, createLogger } from "./models/log.ts";
import { ValidationError } from "./models/errors.ts";
import { openDatabase } from "./models/store/database.ts";
import { preparePrivateDir } from "./models/data_dir.ts";
import { ensureAdminToken } from "./models/auth.ts";
import { settlesWithin } from "./models/timeout.ts";
import { type ClusterOptions, startSystem } from "./actors/system.ts";
import { loadBoxId, lockDataDir, VIGIL_VERSION } from "./models/box.ts";
import { otherBoxesUp } from "./models/store/leases.ts";
import { LEASE_TTL_MS } from "./actors/cluster/coordinator.ts";
import type { Database } from "./models/store/database.ts";
import type { Config } from "./models/config.ts";
import { createApp } from "./routes/app.ts";
import { metricsApp } from "./routes/metrics.ts";
import { consoleBuilder } from "./routes/console.ts";

const SHUTDOWN_DEADLINE_MS = 10_000;
/** How long open HTTP responses get to finish at shutdown before the rest stops anyway. */
const HTTP_DRAIN_MS = 2_000;
/**
 * Every buffered row is written or spilled this long after the signal at the latest, leaving the
 * rest of the deadline to the bounded steps after it (detectors, closing the database).
 */
const ROWS_DEADLINE_MS = 5_000;
/** How long closing a PostgreSQL connection pool may take once every row is written or spilled. */
const DB_CLOSE_MS = 1_500;
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
  // It holds the secret key, the admin token and the database: nobody else's business.
  if (await preparePrivateDir(config.dataDir)) {
    log.warn("the data dir was open to other users of this box; it is now 0700", {
      dataDir: config.dataDir,
    });
  }

  let unlockDataDir: () => Promise<void>;
  try {
    unlockDataDir = await lockDataDir(config.dataDir);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const cluster = await clusterOptions(config, db);
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
    segmentSeconds: config.segmentSeconds,
    compileConcurrency: config.compileConcurrency,
    recordings: {
      minFree: config.recordingsMinFree,
      maxSize: config.recordingsMaxSize,
      recordDays: config.recordRetentionDays,
    },
    auth: config.auth,
    mqtt: config.mqtt,
    publicUrl: config.publicUrl,
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
      maxSessionsPerToken: config.live.sessionsPerToken,
      pushAllow: config.live.pushAllow,
      // A push must not reach this box's own ports (the relay's is added by the system).
      ownPorts: () => [config.port, ...(config.metricsAddr ? [config.metricsAddr.port] : [])],
    },
    cluster,
  });
  const closing = new AbortController();
  // The console is bundled now, in the background, so the first visit does not wait for it.
  const consoleFiles = consoleBuilder();
  consoleFiles().catch(() => {});
  const app = createApp({
    ...system,
    auth: config.auth,
    shutdown: closing.signal,
    publicUrl: config.publicUrl,
    corsOrigins: config.corsOrigins,
    console: consoleFiles,
  });

  const server = Deno.serve({
    port: config.port,
    hostname: config.host,
    onListen: ({ hostname, port }) => log.info("listening", { hostname, port, db: db.kind }),
  }, app.fetch);
  // Scrapers on a private interface read /metrics there without a token.
  const metricsServer = config.metricsAddr
    ? Deno.serve({
      ...config.metricsAddr,
      onListen: ({ hostname, port }) => log.info("metrics listening", { hostname, port }),
    }, metricsApp(system.metrics).fetch)
    : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    const rowsDeadline = Date.now() + ROWS_DEADLINE_MS;
    const deadline = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      Deno.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    closing.abort();
    // Long-lived responses were told to end; a client that still holds one open must not keep
    // the cameras' writers from flushing.
    const drained = Promise.all([server.shutdown(), metricsServer?.shutdown()])
      .catch((error) => log.error("http shutdown failed; stopping the cameras anyway", { error }));
    await settlesWithin(drained, HTTP_DRAIN_MS);
    await system.stop({ deadline: rowsDeadline });
    // Every row is committed or spilled by now: a hung PostgreSQL must not turn a clean stop into
    // a deadline exit (closing only drops sockets; the server keeps its data). The embedded
    // database is ours to flush to disk, so its close is awaited.
    const closed = db.close().catch((error) => log.error("database close failed", { error }));
    if (db.kind === "postgres") {
      await settlesWithin(closed, DB_CLOSE_MS);
    } else await closed;
    await unlockDataDir();
    clearTimeout(deadline);
    log.info("stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
}

/**
 * Several boxes share a PostgreSQL: each takes the cameras it holds a lease on. The embedded
 * database cannot be shared, so a box on it is a box alone. Without `VIGIL_PUBLIC_URL` the others
 * could not reach this box: it may only be the first.
 */
async function clusterOptions(config: Config, db: Database): Promise<ClusterOptions | undefined> {
  if (db.kind !== "postgres") {
    log.info("embedded database: this box is a box alone (several boxes share a PostgreSQL)");
    return undefined;
  }
  let publicUrl = config.publicUrl;
  if (!publicUrl) {
    const others = await otherBoxesUp(db.sql, await loadBoxId(config.dataDir), LEASE_TTL_MS);
    if (others > 0) {
      console.error(
        `${others} other box(es) share this database: set VIGIL_PUBLIC_URL (how they reach ` +
          "this box, e.g. http://box2:8080)",
      );
      Deno.exit(2);
    }
    publicUrl = `http://${Deno.hostname()}:${config.port}`;
    log.warn("VIGIL_PUBLIC_URL is not set: set it before a second box joins", { publicUrl });
  }
  return { publicUrl, capacity: config.boxCapacity, version: VIGIL_VERSION };
}

if (import.meta.main) await main();
