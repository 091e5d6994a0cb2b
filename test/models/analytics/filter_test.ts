import assert from "node:assert/strict";
import { filterDetections } from "../../../models/analytics/filter.ts";
import type { Detection } from "../../../models/detectors/types.ts";

const W = 640;
const H = 360;
// The right third of the frame, e.g. a road behind a fence.
const ROAD: [number, number][] = [[0.66, 0], [1, 0], [1, 1], [0.66, 1]];

function detection(label: string, score: number, box: Detection["box"]): Detection {
  return { label, classId: label === "person" ? 0 : 2, score, box };
}

Deno.test("filterDetections() keeps wanted classes at or above the minimum score", async (t) => {
  const filter = { classes: ["person"], minScore: 0.4, masks: [] };
  const cases: [string, Detection, boolean][] = [
    ["a confident person", detection("person", 0.9, [10, 10, 50, 100]), true],
    ["a person at exactly the minimum score", detection("person", 0.4, [10, 10, 50, 100]), true],
    ["a faint person", detection("person", 0.39, [10, 10, 50, 100]), false],
    ["a car, not an analysed class", detection("car", 0.9, [10, 10, 50, 100]), false],
  ];
  for (const [name, d, kept] of cases) {
    await t.step(
      name,
      () => assert.equal(filterDetections([d], filter, W, H).length, kept ? 1 : 0),
    );
  }
});

Deno.test("filterDetections() drops detections standing inside a mask, by their foot point", async (t) => {
  const filter = { classes: ["person", "car"], minScore: 0, masks: [ROAD] };
  const cases: [string, Detection, boolean][] = [
    ["a car on the masked road", detection("car", 0.9, [500, 100, 600, 200]), false],
    ["a person left of the road", detection("person", 0.9, [100, 100, 140, 300]), true],
    // The box reaches into the mask, but the person stands outside it.
    ["a person in front of the road", detection("person", 0.9, [380, 50, 460, 300]), true],
    ["a person whose feet are on the road", detection("person", 0.9, [420, 50, 500, 300]), false],
  ];
  for (const [name, d, kept] of cases) {
    await t.step(
      name,
      () => assert.equal(filterDetections([d], filter, W, H).length, kept ? 1 : 0),
    );
  }
});
