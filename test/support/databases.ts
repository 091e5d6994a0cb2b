/**
 * Runs a test against BOTH databases Vigil supports: the embedded PGlite and a real PostgreSQL.
 *
 * Real PostgreSQL: `VIGIL_TEST_DATABASE_URL` (set by `scripts/test.ts`, which starts one cluster
 * for the whole run) or, when a test file is run by hand, a cluster started for that test. Each
 * test gets a fresh database of its own, dropped afterwards.
 *
 * Embedded: a migrated PGlite directory is made once and copied for each test, since a fresh
 * PGlite costs ~3 s (initdb in WASM) but opening a copy ~0.4 s. `scripts/test.ts` makes it once
 * for the whole run ({@linkcode TEMPLATE_ENV}); a file run by hand makes its own.
 *
 * @module
 */
import postgres from "postgres";
import { type Database, openDatabase } from "../../models/store/database.ts";
import { startPostgresCluster } from "./postgres_cluster.ts";

/** The kinds of database every storage test runs against. */
export const DATABASE_KINDS = ["embedded", "postgres"] as const;
/** One of {@linkcode DATABASE_KINDS}. */
export type DatabaseKind = typeof DATABASE_KINDS[number];

/** What a database test receives. */
export interface TestDatabase extends Database {
  /** A data dir for the test (holds the embedded database, secrets, spill files...). */
  dataDir: string;
  /** For the real PostgreSQL: its URL, to start other processes against the same database. */
  url: string | undefined;
}

/** Names a migrated embedded database to copy for each test (set by `scripts/test.ts`). */
export const TEMPLATE_ENV = "VIGIL_TEST_EMBEDDED_TEMPLATE";

let template: Promise<string> | undefined;

/**
 * Makes a migrated embedded database in a new temp dir, to be copied for each test.
 *
 * @returns the directory; the caller removes it
 */
export async function makeEmbeddedTemplate(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-template-" });
  try {
    const db = await openDatabase({ dataDir: dir });
    await db.close();
    return dir;
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

function embeddedTemplate(): Promise<string> {
  const shared = Deno.env.get(TEMPLATE_ENV);
  if (shared) return Promise.resolve(shared);
  template ??= makeEmbeddedTemplate().then(
    (dir) => {
      globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
      return dir;
    },
    (error) => {
      // Not kept: one slow start on a loaded box must not fail every later test of the file.
      template = undefined;
      throw error;
    },
  );
  return template;
}

/**
 * Fills an embedded database directory (the `db` of a data dir) with a migrated database, for
 * tests about opening one rather than creating it: it skips initdb.
 *
 * @param dbDir where PGlite keeps its files; made if missing
 */
export async function copyEmbeddedTemplate(dbDir: string): Promise<void> {
  await Deno.mkdir(dbDir, { recursive: true });
  await copyDir(`${await embeddedTemplate()}/db`, dbDir);
}

async function copyDir(from: string, to: string): Promise<void> {
  const { code } = await new Deno.Command("cp", { args: ["-a", `${from}/.`, to] }).output();
  if (code !== 0) throw new Error(`cp ${from} ${to} failed`);
}

/**
 * Opens a fresh, migrated database of one kind with a temp data dir; `close()` removes both.
 *
 * @param kind which database
 * @returns the database
 */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-test-" });
  if (kind === "embedded") {
    await copyDir(await embeddedTemplate(), dataDir);
    const db = await openDatabase({ dataDir });
    return {
      ...db,
      dataDir,
      url: undefined,
      async close() {
        await db.close();
        await Deno.remove(dataDir, { recursive: true });
      },
    };
  }
  const shared = Deno.env.get("VIGIL_TEST_DATABASE_URL");
  const cluster = shared ? undefined : await startPostgresCluster();
  const serverUrl = shared ?? cluster!.url;
  const name = `vigil_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.href, dataDir });
  return {
    ...db,
    dataDir,
    url: url.href,
    async close() {
      await db.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      await cluster?.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/**
 * Registers one `Deno.test` per database kind, named `"<name> (<kind>)"`.
 *
 * @param name the behaviour under test
 * @param fn the test body
 * @example
 * ```ts
 * forEachDatabase("cameras survive a reopen", async (db) => { ... });
 * ```
 */
export function forEachDatabase(
  name: string,
  fn: (db: TestDatabase, t: Deno.TestContext) => Promise<void>,
): void {
  for (const kind of DATABASE_KINDS) {
    Deno.test({
      name: `${name} (${kind})`,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn(t) {
        const db = await openTestDatabase(kind);
        try {
          await fn(db, t);
        } finally {
          await db.close();
        }
      },
    });
  }
}
