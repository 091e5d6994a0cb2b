import assert from "node:assert/strict";
import { Histogram } from "../../../models/metrics/histogram.ts";

Deno.test("Histogram counts each observation in the first bucket that holds it, cumulatively", () => {
  const h = new Histogram([0.01, 0.05, 0.1]);
  for (const v of [0.005, 0.01, 0.03, 0.2, NaN]) h.observe(v);
  assert.deepEqual(h.snapshot(), {
    bounds: [0.01, 0.05, 0.1],
    buckets: [2, 3, 3],
    sum: 0.245,
    count: 4,
  });
});

Deno.test("Histogram refuses bounds that are empty, unsorted or not finite", () => {
  for (const bounds of [[], [0.1, 0.1], [0.2, 0.1], [1, Infinity], [NaN]]) {
    assert.throws(() => new Histogram(bounds), RangeError, JSON.stringify(bounds));
  }
});
