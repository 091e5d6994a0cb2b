import assert from "node:assert/strict";
import type postgres from "postgres";
import {
  type DetectionRow,
  newDetection,
  parseDetection,
} from "../../../models/store/detections.ts";
import {
  deleteCameraDetections,
  type Detection,
  listDetections,
  parseCursor,
} from "../../../models/store/detection_queries.ts";
import { applyRetention } from "../../../models/store/retention.ts";
import { startRetention } from "../../../actors/store/retention.ts";
import { ValidationError } from "../../../models/errors.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { forEachDatabase } from "../../support/databases.ts";

const VALID: DetectionRow = {
  id: uuidv7(),
  cameraId: crypto.randomUUID(),
  ts: Date.UTC(2030, 5, 15, 14, 0, 0),
  frame: 12,
  trackId: crypto.randomUUID(),
  label: "car",
  score: 0.9,
  box: [0.1, 0.2, 0.5, 0.6],
};

Deno.test("parseDetection() accepts a valid row and names the bad field otherwise", async (t) => {
  assert.deepEqual(parseDetection(structuredClone(VALID)), VALID);
  assert.deepEqual(parseDetection({ ...VALID, trackId: null }).trackId, null);
  const bad: [string, unknown][] = [
    ["id", { ...VALID, id: "nope" }],
    ["cameraId", { ...VALID, cameraId: 1 }],
    ["ts", { ...VALID, ts: Number.NaN }],
    ["frame", { ...VALID, frame: -1 }],
    ["trackId", { ...VALID, trackId: 3 }],
    ["label", { ...VALID, label: "" }],
    ["label", { ...VALID, label: "x".repeat(65) }],
    ["score", { ...VALID, score: 1.5 }],
    ["box", { ...VALID, box: [0, 0, 1] }],
    ["box.2", { ...VALID, box: [0, 0, 1.2, 1] }],
    ["row", null],
  ];
  for (const [field, value] of bad) {
    await t.step(`refuses a bad ${field}`, () => {
      assert.throws(
        () => parseDetection(value),
        (error: unknown) => error instanceof ValidationError && error.field === field,
      );
    });
  }
});

Deno.test("parseCursor() refuses anything but <µs>_<uuid>", () => {
  const id = uuidv7();
  assert.deepEqual(parseCursor(`1781532000000000_${id}`), { tsUs: "1781532000000000", id });
  for (const cursor of ["", "abc", `x_${id}`, "123_notauuid", `123_${id}_1`]) {
    assert.throws(() => parseCursor(cursor), (e: unknown) => e instanceof ValidationError);
  }
});

/**
 * ISO 8601 with microseconds, which PostgreSQL keeps and a JS Date would drop (sent as text:
 * postgres.js would pass a timestamptz parameter through `Date`).
 */
function isoMicro(ts: number): string {
  const us = Math.round((ts - Math.floor(ts)) * 1000);
  return new Date(Math.floor(ts)).toISOString().replace("Z", `${String(us).padStart(3, "0")}Z`);
}

async function insertRows(sql: postgres.Sql, rows: DetectionRow[]): Promise<void> {
  for (const row of rows) {
    await sql`insert into detections (id, camera_id, ts, frame, track_id, label, score,
                                      x1, y1, x2, y2)
              values (${row.id}, ${row.cameraId}, ${
      isoMicro(row.ts)
    }::text::timestamptz, ${row.frame},
                      ${row.trackId}, ${row.label}, ${row.score}, ${row.box[0]}, ${row.box[1]},
                      ${row.box[2]}, ${row.box[3]})`;
  }
}

async function allPages(
  sql: postgres.Sql,
  query: Omit<Parameters<typeof listDetections>[1], "cursor">,
): Promise<Detection[]> {
  const items: Detection[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listDetections(sql, { ...query, cursor });
    assert.ok(page.items.length <= query.limit);
    items.push(...page.items);
    if (page.next === null) return items;
    cursor = page.next;
  }
  throw new Error("paging never ended");
}

/** Newest first; ties on ts broken by id, descending. */
function newestFirst(rows: DetectionRow[]): string[] {
  return [...rows].sort((a, b) => b.ts - a.ts || (b.id < a.id ? -1 : 1)).map((row) => row.id);
}

forEachDatabase("listDetections() pages newest first through every matching row", async (db) => {
  const cameras = [crypto.randomUUID(), crypto.randomUUID()];
  const base = Date.UTC(2026, 10, 25, 14, 0, 0);
  const rows: DetectionRow[] = [];
  for (let i = 0; i < 40; i++) {
    // Three rows share each timestamp, so pages must break ties on the id; the timestamps have
    // microseconds, so a cursor that kept only milliseconds would skip or repeat rows.
    rows.push(newDetection({
      cameraId: cameras[i % 2]!,
      ts: base + Math.floor(i / 3) * 60_000 + 0.5 + (i % 3 === 2 ? 0.25 : 0),
      frame: i,
      trackId: null,
      label: i % 4 < 2 ? "car" : "person",
      score: 0.5,
      box: [0, 0, 1, 1],
    }));
  }
  await insertRows(db.sql, rows);

  const all = await allPages(db.sql, { limit: 7 });
  assert.deepEqual(all.map((d) => d.id), newestFirst(rows));
  assert.equal(all[0]!.ts, new Date(Math.floor(rows.at(-1)!.ts)).toISOString());
  assert.deepEqual(Object.keys(all[0]!).sort(), [
    "box",
    "camera",
    "frame",
    "id",
    "label",
    "score",
    "trackId",
    "ts",
  ]);

  const from = new Date(base + 3 * 60_000);
  const to = new Date(base + 9 * 60_000);
  const filtered = await allPages(db.sql, { camera: cameras[0], label: "car", from, to, limit: 2 });
  const expected = rows.filter((r) =>
    r.cameraId === cameras[0] && r.label === "car" && r.ts >= from.getTime() && r.ts < to.getTime()
  );
  assert.ok(expected.length >= 3);
  assert.deepEqual(filtered.map((d) => d.id), newestFirst(expected));

  const one = await listDetections(db.sql, { limit: 1000 });
  assert.equal(one.items.length, 40);
  assert.equal(one.next, null);

  assert.equal(await deleteCameraDetections(db.sql, cameras[0]!, 7), 20);
  const left = await allPages(db.sql, { limit: 50 });
  assert.ok(left.every((d) => d.camera === cameras[1]));
});

async function partitions(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'detections'::regclass order by 1`;
  return rows.map((row) => row.name);
}

async function partitionOf(sql: postgres.Sql, id: string): Promise<string | undefined> {
  const [row] = await sql<{ name: string }[]>`
    select tableoid::regclass::text as name from detections where id = ${id}`;
  return row?.name;
}

function at(iso: string, camera = crypto.randomUUID()): DetectionRow {
  const ts = Date.parse(iso);
  return { ...VALID, id: uuidv7(ts), cameraId: camera, ts };
}

forEachDatabase(
  "retention drops whole old days, old rows of the default partition and old events",
  async (db) => {
    await db.sql`select vigil_ensure_detection_partitions('2030-06-01', 16)`;
    const now = new Date("2030-06-15T12:00:00Z");
    const old = at("2030-06-01T10:00:00Z");
    const lastDropped = at("2030-06-07T23:59:59Z");
    const straddling = at("2030-06-08T01:00:00Z"); // older than 7 days, but its day is not
    const recent = at("2030-06-15T11:00:00Z");
    const ancientDefault = at("2029-01-01T00:00:00Z");
    const futureDefault = at("2031-01-01T00:00:00Z");
    await insertRows(db.sql, [old, lastDropped, straddling, recent, ancientDefault, futureDefault]);
    assert.equal(await partitionOf(db.sql, ancientDefault.id), "detections_default");

    const camera = crypto.randomUUID();
    await db.sql`insert into cameras (id, name, source_url) values (${camera}, 'c', 'rtsp://x')`;
    const oldEvent = crypto.randomUUID();
    const keptEvent = crypto.randomUUID();
    await db.sql`insert into events (id, camera_id, kind, started_at) values
      (${oldEvent}, ${camera}, 'enter', '2030-05-15T11:00:00Z'),
      (${keptEvent}, ${camera}, 'enter', '2030-05-17T11:00:00Z')`;

    const result = await applyRetention(db.sql, { now, batch: 1 });
    assert.equal(result.partitionsCreated, 2, "06-17 and 06-18 made ahead");
    assert.ok(result.partitionsDropped.includes("detections_p20300601"));
    assert.ok(result.partitionsDropped.includes("detections_p20300607"));
    assert.deepEqual(result.detectionsDeleted, 1);
    assert.deepEqual(result.eventsDeleted, 1);

    const days = Array.from(
      { length: 11 },
      (_, i) => `detections_p203006${String(8 + i).padStart(2, "0")}`,
    );
    assert.deepEqual(await partitions(db.sql), ["detections_default", ...days]);
    const ids = await db.sql<{ id: string }[]>`select id from detections`;
    assert.deepEqual(
      ids.map((row) => row.id).sort(),
      [straddling.id, recent.id, futureDefault.id].sort(),
    );
    const events = await db.sql<{ id: string }[]>`select id from events`;
    assert.deepEqual(events.map((row) => row.id), [keptEvent]);

    const again = await applyRetention(db.sql, { now });
    assert.deepEqual(again, {
      partitionsCreated: 0,
      partitionsDropped: [],
      detectionsDeleted: 0,
      eventsDeleted: 0,
      snapshotsRemoved: 0,
    });
    await assert.rejects(() => applyRetention(db.sql, { detectionDays: 0 }), /'detectionDays'/);
  },
);

forEachDatabase("rows of a day without a partition move into it when it is made", async (db) => {
  const early = at("2030-06-20T08:00:00Z");
  await insertRows(db.sql, [early]);
  assert.equal(await partitionOf(db.sql, early.id), "detections_default");
  await applyRetention(db.sql, { now: new Date("2030-06-18T00:00:00Z") });
  assert.equal(await partitionOf(db.sql, early.id), "detections_p20300620");
  const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from detections`;
  assert.equal(count!.n, 1);
});

forEachDatabase(
  "startRetention() makes today's partitions at once and stops cleanly",
  async (db) => {
    await db.sql.unsafe(
      `drop table if exists detections_p${
        new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "")
      }`,
    );
    const retention = startRetention(db.sql, { intervalMs: 3_600_000 });
    await retention.stop();
    const names = await partitions(db.sql);
    for (let day = 0; day <= 3; day++) {
      const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
      assert.ok(names.includes(`detections_p${date.replaceAll("-", "")}`), `${date} in ${names}`);
    }
  },
);
