import assert from "node:assert/strict";
import { bucketDetections } from "../../web/logic/chart_data.ts";

const at = (ms: number) => new Date(ms).toISOString();

Deno.test("detections are counted per label into equal buckets, busiest label first", () => {
  const items = [
    { ts: at(0), label: "car" },
    { ts: at(100), label: "person" },
    { ts: at(600), label: "person" },
    { ts: at(999), label: "person" },
    { ts: at(1000), label: "person" }, // `to` is exclusive
    { ts: at(-1), label: "car" }, // before `from`
  ];
  const data = bucketDetections(items, 0, 1000, 2);
  assert.equal(data.bucketMs, 500);
  assert.deepEqual(data.series, [
    { label: "person", counts: [1, 2], total: 3 },
    { label: "car", counts: [1, 0], total: 1 },
  ]);
  assert.equal(data.max, 2);
});

Deno.test("no detections give no series and a scale of 1", () => {
  const data = bucketDetections([], 0, 60_000, 60);
  assert.deepEqual(data.series, []);
  assert.equal(data.max, 1);
});
