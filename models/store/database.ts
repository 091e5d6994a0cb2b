/**
 * The database connection: postgres.js against either a real PostgreSQL (`DATABASE_URL`) or the
 * embedded PGlite served on a private Unix socket — one driver, one code path. Migrations are
 * applied on open. Why: docs/decisions/embedded-database.md.
 *
 * @module
 */
import postgres from "postgres";
import { join } from "node:path";
import { startEmbeddedDatabase } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createLogger } from "../log.ts";
import { withTimeout } from "../timeout.ts";

/** An open database. */
export interface Database {
  /** The postgres.js instance; every query goes through it. */
  readonly sql: postgres.Sql;
  /** Which kind of server is behind `sql`. */
  readonly kind: "embedded" | "postgres";
  /**
   * Answers whether the database takes a trivial query within `timeoutMs`.
   * @returns true when reachable
   */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Ends the pool and, for the embedded database, stops PGlite. Safe to call twice. */
  close(): Promise<void>;
}

/** Options for {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * A `postgres://` URL; absent → the embedded database in `dataDir/db`, its socket in
   * `dataDir/run` (0700).
   */
  url?: string;
  /** Vigil's data directory. */
  dataDir: string;
  /** Pool size for a real PostgreSQL (default 8; the embedded database uses one connection). */
  poolSize?: number;
}

const log = createLogger("db");

/**
 * Opens the database and applies pending migrations.
 *
 * @param options where the database is
 * @returns the open database
 * @throws {UnavailableError} when the embedded database cannot start
 * @example
 * ```ts
 * const db = await openDatabase({ dataDir: "./data" });
 * await db.sql`select 1`;
 * await db.close();
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const poolSize = options.poolSize ?? 8;
  const common = {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    // Timestamps come back as Date; bigint columns as strings unless a query casts them.
  } satisfies postgres.Options<Record<string, postgres.PostgresType>>;

  if (options.url) {
    const sql = postgres(options.url, common);
    return await finishOpen(sql, "postgres", async () => {});
  }
  const dir = join(options.dataDir, "db");
  await Deno.mkdir(dir, { recursive: true });
  // ONE connection: two would share PGlite's one backend session and interleave their prepared
  // statements (docs/decisions/embedded-database.md). Spare server slots let a reconnect never
  // race the server's connection limit.
  const embedded = await startEmbeddedDatabase({
    dataDir: dir,
    socketDir: join(options.dataDir, "run"),
    maxConnections: 3,
  });
  const sql = postgres({
    ...common,
    max: 1,
    path: embedded.socketPath,
    user: "postgres",
    database: "postgres",
  });
  return await finishOpen(sql, "embedded", () => embedded.stop());
}

async function finishOpen(
  sql: postgres.Sql,
  kind: Database["kind"],
  stopServer: () => Promise<void>,
): Promise<Database> {
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await sql.end({ timeout: 5 });
      await stopServer();
    })();
  try {
    const applied = await migrate(sql);
    if (applied.length > 0) log.info("migrations applied", { kind, applied });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    sql,
    kind,
    close,
    async ping(timeoutMs = 2000) {
      const query = sql`select 1`.then(() => true);
      return await withTimeout(query, timeoutMs, () => new Error("ping timed out"))
        .catch(() => false);
    },
  };
}
