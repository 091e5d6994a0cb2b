import assert from "node:assert/strict";
import { type DetectionRow, DETECTIONS, newDetection } from "../../models/store/detections.ts";
import { BatchWriter } from "../../actors/store/writer.ts";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

interface Page {
  items: { id: string; camera: string; ts: string; label: string; box: number[] }[];
  next: string | null;
}

function isPage(value: unknown): value is Page {
  return typeof value === "object" && value !== null && "items" in value && "next" in value &&
    Array.isArray(value.items);
}

async function getPage(api: TestApp, query: string): Promise<Page> {
  const response = await api.call("GET", `/api/detections?${query}`);
  const body: unknown = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(isPage(body));
  return body;
}

forEachDatabase(
  "GET /api/detections pages newest first and answers bad parameters",
  async (db, t) => {
    const cameras = [crypto.randomUUID(), crypto.randomUUID()];
    const base = Date.UTC(2026, 10, 25, 14, 0, 0);
    const rows: DetectionRow[] = [];
    for (let i = 0; i < 30; i++) {
      rows.push(newDetection({
        cameraId: cameras[i % 2]!,
        ts: base + i * 120_000, // every 2 minutes from 14:00
        frame: i,
        trackId: crypto.randomUUID(),
        label: i % 3 === 0 ? "car" : "person",
        score: 0.8,
        box: [0.25, 0.25, 0.5, 0.5],
      }));
    }
    const writer = await BatchWriter.open({
      sql: db.sql,
      spec: DETECTIONS,
      name: "route-test",
      dataDir: db.dataDir,
    });
    for (const row of rows) writer.push(row);
    await writer.stop();
    const api = await startTestApp(db);
    try {
      await t.step("follows next from the newest row to the oldest", async () => {
        const seen: string[] = [];
        let query = "limit=4";
        for (;;) {
          const page = await getPage(api, query);
          seen.push(...page.items.map((item) => item.id));
          if (!page.next) break;
          query = `limit=4&cursor=${encodeURIComponent(page.next)}`;
        }
        assert.deepEqual(seen, rows.map((row) => row.id).reverse());
      });

      await t.step("all cars on one camera between 14:00 and 15:00", async () => {
        const query = new URLSearchParams({
          camera: cameras[0]!,
          label: "car",
          from: "2026-11-25T14:00:00Z",
          to: "2026-11-25T15:00:00Z",
        });
        const page = await getPage(api, query.toString());
        const expected = rows.filter((r) =>
          r.cameraId === cameras[0] && r.label === "car" && r.ts < base + 3_600_000
        ).map((r) => r.id).reverse();
        assert.ok(expected.length >= 3);
        assert.deepEqual(page.items.map((item) => item.id), expected);
        assert.equal(page.next, null);
        assert.deepEqual(page.items[0]!.box, [0.25, 0.25, 0.5, 0.5]);
        assert.equal(page.items[0]!.camera, cameras[0]);
      });

      await t.step("an empty result is a page without next", async () => {
        assert.deepEqual(await getPage(api, "label=giraffe"), { items: [], next: null });
      });

      const bad: [string, number, RegExp][] = [
        ["camera=3", 400, /camera must be a UUID/],
        ["label=" + "x".repeat(65), 400, /label/],
        ["label=a%07b", 400, /label/],
        ["from=yesterday", 400, /from must be an ISO 8601/],
        ["from=0000-01-01T00:00Z", 400, /from must be an ISO 8601/],
        ["from=2026-02-30T00:00:00Z", 400, /from must be an ISO 8601/],
        ["from=2026-13-01T00:00:00Z", 400, /from must be an ISO 8601/],
        ["to=2026-11-25T14:00:00", 400, /to must be an ISO 8601 time with a zone/],
        ["limit=0", 400, /limit/],
        ["limit=abc", 400, /limit/],
        ["limit=501", 400, /limit/],
        ["cursor=zzz", 400, /cursor/],
        ["cursor=123_" + "0".repeat(36), 400, /cursor/],
        ["colour=red", 400, /colour is not a known parameter/],
        ["from=2026-11-25T15:00:00Z&to=2026-11-25T14:00:00Z", 422, /from must be before to/],
      ];
      for (const [query, status, message] of bad) {
        await t.step(`${query} answers ${status}`, async () => {
          const response = await api.call("GET", `/api/detections?${query}`);
          const body: unknown = await response.json();
          assert.equal(response.status, status, JSON.stringify(body));
          assert.ok(typeof body === "object" && body !== null && "error" in body);
          const error = body.error as { code: unknown; message: unknown };
          assert.equal(error.code, "invalid_input");
          assert.match(String(error.message), message);
        });
      }
    } finally {
      await api.close();
    }
  },
);
