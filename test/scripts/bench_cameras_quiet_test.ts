import assert from "node:assert/strict";
import { passesSeen } from "../../scripts/bench_cameras_quiet.ts";

Deno.test("cameras-quiet counts a passer-by's events once per pass", () => {
  assert.equal(passesSeen([]), 0);
  // Three persons of one pass open within a second, the next pass 20 s later.
  assert.equal(passesSeen([1.2, 1.4, 2.0]), 1);
  assert.equal(passesSeen([1.2, 1.4, 2.0, 21.1, 21.9]), 2);
  assert.equal(passesSeen([0.5, 20.5, 40.6]), 3);
});
