import assert from "node:assert/strict";
import { summarizeExposition } from "../../web/logic/exposition.ts";

Deno.test("summarizeExposition counts families by # TYPE and every sample line", async (t) => {
  await t.step("an empty exposition", () => {
    assert.deepEqual(summarizeExposition(""), { families: 0, samples: 0 });
  });
  await t.step("a gauge and a labelled counter, HELP lines and blank lines aside", () => {
    const text = [
      "# HELP up Up.",
      "# TYPE up gauge",
      "up 1",
      "",
      "# HELP vigil_frames_total Frames.",
      "# TYPE vigil_frames_total counter",
      'vigil_frames_total{camera="a"} 10',
      'vigil_frames_total{camera="b"} 12',
      "",
    ].join("\n");
    assert.deepEqual(summarizeExposition(text), { families: 2, samples: 3 });
  });
});
