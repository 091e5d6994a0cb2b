import assert from "node:assert/strict";
import { seriesFromCounts } from "../../web/logic/chart_data.ts";

const at = (ms: number) => new Date(ms).toISOString();

Deno.test("the database's counts become one series per label, busiest label first", () => {
  const items = [
    { bucket: at(0), label: "car", count: 1 },
    { bucket: at(0), label: "person", count: 1 },
    { bucket: at(60_000), label: "person", count: 2 },
    { bucket: at(180_000), label: "person", count: 9 }, // after `to`
    { bucket: at(-60_000), label: "car", count: 5 }, // before the first bucket
  ];
  const data = seriesFromCounts(items, 30_000, 120_000, 60_000);
  assert.equal(data.from, 0, "buckets are aligned like the database's");
  assert.deepEqual(data.series, [
    { label: "person", counts: [1, 2], total: 3 },
    { label: "car", counts: [1, 0], total: 1 },
  ]);
  assert.equal(data.max, 2);
});

Deno.test("no counts give no series and a scale of 1", () => {
  const data = seriesFromCounts([], 0, 3_600_000, 60_000);
  assert.deepEqual(data.series, []);
  assert.equal(data.max, 1);
});
