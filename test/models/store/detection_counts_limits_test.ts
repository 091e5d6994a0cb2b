/**
 * countDetections has the listing's bounds: a statement timeout on PostgreSQL (503
 * `query_timeout`) and a cap on the counts it answers (422).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { countDetections } from "../../../models/store/detection_counts.ts";
import { type DetectionRow, DETECTIONS, newDetection } from "../../../models/store/detections.ts";
import { BatchWriter } from "../../../actors/store/writer.ts";
import { ValidationError, VigilError } from "../../../models/errors.ts";
import { forEachDatabase, openTestDatabase } from "../../support/databases.ts";

const BASE = Date.UTC(2026, 10, 25, 14, 0, 0);
const RANGE = { bucket: "1m" as const, from: new Date(BASE), to: new Date(BASE + 3_600_000) };

Deno.test({
  name: "countDetections is cancelled after its statement timeout (postgres)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("postgres");
    // A second session holds the table: the count waits on the lock, as a slow scan would run.
    const other = postgres(db.url!, { max: 1, onnotice: () => {} });
    let unlock!: () => void;
    const released = new Promise<void>((resolve) => unlock = resolve);
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => locked = resolve);
    const holder = other.begin(async (tx) => {
      await tx`lock table detections in access exclusive mode`;
      locked();
      await released;
    });
    try {
      await holding;
      const counted = countDetections(db.sql, RANGE, { timeoutMs: 300 }).then(
        () => "answered",
        (error) => error,
      );
      const late = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 5_000));
      const outcome = await Promise.race([counted, late]);
      unlock();
      await counted;
      assert.ok(outcome instanceof VigilError, `got ${outcome}`);
      assert.equal(outcome.code, "query_timeout");
      assert.equal(outcome.status, 503);
    } finally {
      unlock();
      await holder;
      await other.end();
      await db.close();
    }
  },
});

forEachDatabase("countDetections refuses more counts than its cap", async (db) => {
  const camera = crypto.randomUUID();
  const rows: DetectionRow[] = [];
  // Ten minutes, two labels a minute: 20 counts in 1-minute buckets.
  for (let i = 0; i < 10; i++) {
    for (const label of ["car", "person"]) {
      rows.push(newDetection({
        cameraId: camera,
        ts: BASE + i * 60_000,
        frame: i,
        trackId: null,
        label,
        score: 0.8,
        box: [0.1, 0.1, 0.2, 0.2],
      }));
    }
  }
  const writer = await BatchWriter.open({
    sql: db.sql,
    spec: DETECTIONS,
    name: "counts-cap-test",
    dataDir: db.dataDir,
  });
  for (const row of rows) writer.push(row);
  await writer.stop();
  assert.equal((await countDetections(db.sql, RANGE, { maxCounts: 20 })).length, 20);
  await assert.rejects(
    () => countDetections(db.sql, RANGE, { maxCounts: 19 }),
    (error) => error instanceof ValidationError && /more than 19 counts/.test(error.message),
  );
  assert.equal(
    (await countDetections(db.sql, { ...RANGE, label: "car" }, { maxCounts: 19 })).length,
    10,
  );
});
