import assert from "node:assert/strict";
import { copyEmbeddedTemplate, forEachDatabase } from "../../support/databases.ts";
import { migrate } from "../../../models/store/migrate.ts";
import { openDatabase } from "../../../models/store/database.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { uuidv7 } from "../../../models/ids.ts";

forEachDatabase("migrations are recorded once and a second run applies nothing", async (db) => {
  const rows = await db.sql<{ version: string }[]>`select version from schema_migrations`;
  assert.ok(rows.some((row) => row.version === "001"));
  assert.deepEqual(await migrate(db.sql), []);
  const again = await db.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
  assert.equal(again[0]?.n, rows.length);
});

forEachDatabase("two processes migrating together apply each migration once", async (db) => {
  const migrations = [
    {
      version: "900",
      name: "900_slow.sql",
      sql: "select pg_sleep(0.3); create table t900 (x int);",
    },
  ];
  const other = db.url ? await openDatabase({ url: db.url, dataDir: db.dataDir }) : undefined; // The embedded database belongs to one process; both pools share it here.
  try {
    const results = await Promise.all([
      migrate(db.sql, migrations),
      migrate((other ?? db).sql, migrations),
    ]);
    assert.deepEqual(results.map((r) => r.length).sort(), [0, 1]);
    await db.sql`select x from t900`;
  } finally {
    await other?.close();
  }
});

forEachDatabase("a failing migration leaves nothing half-applied", async (db) => {
  const bad = [
    { version: "901", name: "901_ok.sql", sql: "create table t901 (x int);" },
    { version: "902", name: "902_bad.sql", sql: "create table t902 (x nonsense_type);" },
  ];
  await assert.rejects(() => migrate(db.sql, bad));
  const [row] = await db.sql<{ t: string | null }[]>`select to_regclass('t901')::text as t`;
  assert.equal(row?.t, null);
  const versions = await db.sql`select 1 from schema_migrations where version in ('901', '902')`;
  assert.equal(versions.length, 0);
});

forEachDatabase(
  "ping() answers true while the database is up and false after close",
  async (db) => {
    assert.equal(await db.ping(), true);
    const copy = db.url ? await openDatabase({ url: db.url, dataDir: db.dataDir }) : undefined;
    if (copy) {
      await copy.close();
      assert.equal(await copy.ping(500), false);
    }
  },
);

Deno.test({
  name: "the embedded database keeps its data across a restart",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-test-" });
    try {
      // A migrated copy (no initdb in WASM): what is tested is the restart.
      await copyEmbeddedTemplate(`${dataDir}/db`);
      const id = uuidv7();
      const first = await openDatabase({ dataDir });
      await insertCamera(first.sql, {
        id,
        name: "porch",
        sourceUrl: "rtsp://127.0.0.1/porch",
        transport: "tcp",
      });
      await first.close();
      const second = await openDatabase({ dataDir });
      const rows = await second.sql<{ name: string }[]>`select name from cameras where id = ${id}`;
      await second.close();
      assert.deepEqual(rows.map((r) => r.name), ["porch"]);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
