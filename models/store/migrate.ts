/**
 * Applies the numbered SQL migrations in `migrations/` in filename order, each exactly once.
 *
 * All pending migrations run in ONE transaction holding a transaction-scoped advisory lock, so two
 * processes starting together against the same database serialize: the second waits, then sees
 * every version recorded and applies nothing. A failing migration rolls the whole batch back.
 *
 * @module
 */
import type postgres from "postgres";

/** One migration file. */
export interface Migration {
  /** Sortable version taken from the file name, e.g. `001`. */
  version: string;
  /** File name, e.g. `001_cameras.sql`. */
  name: string;
  /** The SQL text. */
  sql: string;
}

/** Arbitrary but fixed: the advisory lock key every Vigil process uses for migrations. */
const MIGRATION_LOCK_KEY = 0x5649_4749; // "VIGI"
const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/**
 * Reads the migration files of a directory, sorted by version.
 *
 * @param dir directory URL holding `NNN_name.sql` files
 * @returns the migrations in order
 * @throws {Error} when two files share a version
 */
export async function readMigrations(
  dir: URL = new URL("./migrations/", import.meta.url),
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile ? MIGRATION_FILE.exec(entry.name) : null;
    if (!match?.[1]) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({ version: match[1], name: entry.name, sql });
  }
  migrations.sort((a, b) => a.version.localeCompare(b.version));
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new Error(`database: two migrations share version ${migrations[i]?.version}`);
    }
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`.
 *
 * @param sql a postgres.js instance
 * @param migrations migrations in order (defaults to the bundled ones)
 * @returns the names of the migrations applied by this call
 */
export async function migrate(
  sql: postgres.Sql,
  migrations?: Migration[],
): Promise<string[]> {
  const all = migrations ?? await readMigrations();
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`;
    const rows = await tx<{ version: string }[]>`select version from schema_migrations`;
    const applied = new Set(rows.map((row) => row.version));
    const names: string[] = [];
    for (const migration of all) {
      if (applied.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version, name)
               values (${migration.version}, ${migration.name})`;
      names.push(migration.name);
    }
    return names;
  });
}
