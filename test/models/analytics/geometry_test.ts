import assert from "node:assert/strict";
import {
  boxCenter,
  boxFootPoint,
  normalizeBox,
  normalizePoint,
  type Point,
  pointInPolygon,
  segmentsIntersect,
  selfIntersection,
  sideOfLine,
} from "../../../models/analytics/geometry.ts";
import type { Box } from "../../../models/detectors/types.ts";
import { iou } from "../../../models/detectors/box.ts";

Deno.test("iou() measures overlap from 0 to 1", async (t) => {
  const cases: [string, Box, Box, number][] = [
    ["identical boxes", [0, 0, 10, 10], [0, 0, 10, 10], 1],
    ["half-shifted boxes", [0, 0, 10, 10], [5, 0, 15, 10], 1 / 3],
    ["disjoint boxes", [0, 0, 10, 10], [20, 20, 30, 30], 0],
    ["boxes sharing only an edge", [0, 0, 10, 10], [10, 0, 20, 10], 0],
    ["a box inside another", [0, 0, 10, 10], [0, 0, 5, 10], 0.5],
    ["an empty box", [0, 0, 0, 0], [0, 0, 0, 0], 0],
  ];
  for (const [name, a, b, expected] of cases) {
    await t.step(name, () => assert.ok(Math.abs(iou(a, b) - expected) < 1e-9));
  }
});

Deno.test("boxFootPoint() is the bottom centre, boxCenter() the middle", () => {
  assert.deepEqual(boxFootPoint([10, 20, 30, 100]), [20, 100]);
  assert.deepEqual(boxCenter([10, 20, 30, 100]), [20, 60]);
});

Deno.test("normalizePoint() and normalizeBox() divide by the frame size", () => {
  assert.deepEqual(normalizePoint([320, 90], 640, 360), [0.5, 0.25]);
  assert.deepEqual(normalizeBox([64, 36, 320, 360], 640, 360), [0.1, 0.1, 0.5, 1]);
});

Deno.test("sideOfLine() is positive on the right of a→b as seen on screen", () => {
  // A line drawn left to right: below it (y down) is its right side.
  assert.ok(sideOfLine([0, 0.5], [1, 0.5], [0.5, 0.9]) > 0);
  assert.ok(sideOfLine([0, 0.5], [1, 0.5], [0.5, 0.1]) < 0);
  assert.equal(sideOfLine([0, 0.5], [1, 0.5], [0.3, 0.5]), 0);
});

Deno.test("segmentsIntersect() finds crossings and touches", async (t) => {
  const cases: [string, Point, Point, Point, Point, boolean][] = [
    ["an X", [0, 0], [1, 1], [0, 1], [1, 0], true],
    ["parallel segments", [0, 0], [1, 0], [0, 1], [1, 1], false],
    ["a T touching at an end", [0, 0], [1, 0], [0.5, 0], [0.5, 1], true],
    ["collinear overlapping", [0, 0], [2, 0], [1, 0], [3, 0], true],
    ["collinear apart", [0, 0], [1, 0], [2, 0], [3, 0], false],
    ["crossing the line beyond the segment's end", [2, -1], [2, 1], [0, 0], [1, 0], false],
  ];
  for (const [name, p1, p2, q1, q2, expected] of cases) {
    await t.step(name, () => assert.equal(segmentsIntersect(p1, p2, q1, q2), expected));
  }
});

Deno.test("pointInPolygon() tells inside from outside, also for concave shapes", async (t) => {
  // An L shape: the top-right quarter of the unit square is cut out.
  const ell: Point[] = [[0, 0], [0.5, 0], [0.5, 0.5], [1, 0.5], [1, 1], [0, 1]];
  const cases: [string, Point, boolean][] = [
    ["inside the foot of the L", [0.8, 0.8], true],
    ["inside the stem of the L", [0.2, 0.2], true],
    ["in the cut-out corner", [0.8, 0.2], false],
    ["left of the shape", [-0.1, 0.5], false],
    ["below the shape", [0.5, 1.2], false],
  ];
  for (const [name, point, expected] of cases) {
    await t.step(name, () => assert.equal(pointInPolygon(point, ell), expected));
  }
});

Deno.test("selfIntersection() accepts simple polygons and names the crossing edges otherwise", async (t) => {
  const cases: [string, Point[], [number, number] | undefined][] = [
    ["a square", [[0, 0], [1, 0], [1, 1], [0, 1]], undefined],
    ["a triangle", [[0, 0], [1, 0], [0, 1]], undefined],
    ["a concave L", [[0, 0], [0.5, 0], [0.5, 0.5], [1, 0.5], [1, 1], [0, 1]], undefined],
    [
      "a straight angle (collinear neighbours going on)",
      [[0, 0], [0.5, 0], [1, 0], [0, 1]],
      undefined,
    ],
    ["a bowtie", [[0, 0], [1, 1], [1, 0], [0, 1]], [0, 2]],
    ["a neighbour folding back", [[0, 0], [1, 0], [0.5, 0], [0.5, 1]], [0, 1]],
    ["a repeated vertex", [[0, 0], [1, 0], [1, 0], [0, 1]], [0, 1]],
    ["a vertex touching a far edge", [[0, 0], [1, 0], [1, 1], [0.5, 0], [0, 1]], [0, 2]],
  ];
  for (const [name, polygon, expected] of cases) {
    await t.step(name, () => assert.deepEqual(selfIntersection(polygon), expected));
  }
});
