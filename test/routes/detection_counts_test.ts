import assert from "node:assert/strict";
import { type DetectionRow, DETECTIONS, newDetection } from "../../models/store/detections.ts";
import { BatchWriter } from "../../actors/store/writer.ts";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";

interface Counts {
  bucket: string;
  items: { bucket: string; label: string; count: number }[];
}

forEachDatabase("GET /api/detections/counts counts per label per bucket in SQL", async (db, t) => {
  const [door, yard] = [crypto.randomUUID(), crypto.randomUUID()];
  const base = Date.UTC(2026, 10, 25, 14, 0, 0);
  const rows: DetectionRow[] = [];
  // 14:00–15:59, one row a minute per camera; every third a car.
  for (let i = 0; i < 120; i++) {
    for (const camera of [door, yard]) {
      rows.push(newDetection({
        cameraId: camera,
        ts: base + i * 60_000,
        frame: i,
        trackId: null,
        label: i % 3 === 0 ? "car" : "person",
        score: 0.8,
        box: [0.1, 0.1, 0.2, 0.2],
      }));
    }
  }
  const writer = await BatchWriter.open({
    sql: db.sql,
    spec: DETECTIONS,
    name: "counts-test",
    dataDir: db.dataDir,
  });
  for (const row of rows) writer.push(row);
  await writer.stop();
  const api = await startTestApp(db);
  const get = async (query: string) => {
    const reply = await api.call("GET", `/api/detections/counts?${query}`);
    return { status: reply.status, body: await reply.json() as Counts };
  };
  const from = new Date(base).toISOString();
  const to = new Date(base + 2 * 3_600_000).toISOString();
  try {
    await t.step("hourly buckets of one camera, per label", async () => {
      const { status, body } = await get(`camera=${door}&bucket=1h&from=${from}&to=${to}`);
      assert.equal(status, 200);
      assert.deepEqual(body.items, [
        { bucket: from, label: "car", count: 20 },
        { bucket: from, label: "person", count: 40 },
        { bucket: new Date(base + 3_600_000).toISOString(), label: "car", count: 20 },
        { bucket: new Date(base + 3_600_000).toISOString(), label: "person", count: 40 },
      ]);
    });
    await t.step("a label over every camera, in 15-minute buckets", async () => {
      const { body } = await get(`label=car&bucket=15m&from=${from}&to=${to}`);
      assert.equal(body.items.length, 8);
      assert.ok(body.items.every((item) => item.label === "car"));
      assert.equal(body.items.reduce((sum, item) => sum + item.count, 0), 80);
    });
    await t.step("refuses a reversed range and too many buckets", async () => {
      assert.equal((await get(`from=${to}&to=${from}`)).status, 422);
      assert.equal((await get(`bucket=1m&from=2026-01-01T00:00:00Z&to=${to}`)).status, 422);
      assert.equal((await get(`bucket=2h`)).status, 400);
    });
  } finally {
    await api.close();
  }
});
