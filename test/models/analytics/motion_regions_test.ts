import assert from "node:assert/strict";
import {
  cellBoxes,
  cellsToFrame,
  detectionRegions,
  FULL_FRAME_REFRESH_MS,
  type RegionInput,
} from "../../../models/analytics/motion_regions.ts";
import { createMotionGate } from "../../../models/analytics/motion.ts";
import type { Box, Frame } from "../../../models/detectors/types.ts";

/** A grid from rows of `#` (changed) and `.` cells. */
function grid(rows: string[]): { cells: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  const cells = new Uint8Array(rows.join("").split("").map((c) => (c === "#" ? 1 : 0)));
  return { cells, width, height: rows.length };
}

Deno.test("cellBoxes() groups changed cells into boxes", async (t) => {
  const cases: { name: string; rows: string[]; gap: number; boxes: Box[] }[] = [
    { name: "no change gives no box", rows: ["....", "...."], gap: 1, boxes: [] },
    {
      name: "one cell is a box of one cell",
      rows: ["....", ".#.."],
      gap: 1,
      boxes: [[1, 1, 2, 2]],
    },
    {
      name: "a diagonal line is one group",
      rows: ["#...", ".#..", "..#."],
      gap: 0,
      boxes: [[0, 0, 3, 3]],
    },
    {
      name: "cells one empty cell apart join when the gap allows one",
      rows: ["#.#....", "......."],
      gap: 1,
      boxes: [[0, 0, 3, 1]],
    },
    {
      name: "cells one empty cell apart stay apart with no gap",
      rows: ["#.#....", "......."],
      gap: 0,
      boxes: [[0, 0, 1, 1], [2, 0, 3, 1]],
    },
    {
      name: "two far groups stay two boxes",
      rows: ["##.......", "##.....##", ".......##"],
      gap: 1,
      boxes: [[0, 0, 2, 2], [7, 1, 9, 3]],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { cells, width, height } = grid(c.rows);
      assert.deepEqual(cellBoxes(cells, width, height, c.gap), c.boxes);
    });
  }
});

Deno.test("cellsToFrame() scales cell boxes to frame pixels", () => {
  assert.deepEqual(cellsToFrame([[1, 1, 2, 2], [0, 0, 64, 36]], 64, 36, 640, 360), [
    [10, 10, 20, 20],
    [0, 0, 640, 360],
  ]);
});

const MOVING: RegionInput = {
  enabled: true,
  reason: "motion",
  motion: [[0, 0, 60, 150]],
  tracked: [],
  busy: false,
  now: 10_000,
  lastFullFrame: 9_000,
  frameWidth: 640,
  frameHeight: 360,
};

Deno.test("detectionRegions() chooses crops or the whole frame", async (t) => {
  const cases: { name: string; input: Partial<RegionInput>; regions: Box[] | undefined }[] = [
    { name: "motion in a corner runs crops", input: {}, regions: [[0, 0, 60, 150]] },
    {
      name: "tracked objects join the motion (a person standing still keeps their track)",
      input: { tracked: [[300, 100, 340, 200]], busy: true },
      regions: [[0, 0, 60, 150], [300, 100, 340, 200]],
    },
    { name: "crops off runs the whole frame", input: { enabled: false }, regions: undefined },
    {
      name: "a keep-alive runs the whole frame",
      input: { reason: "keepalive" },
      regions: undefined,
    },
    {
      name: "motion over more than half the picture runs the whole frame",
      input: { motion: [[0, 0, 400, 360]] },
      regions: undefined,
    },
    {
      name: "a full frame is due while something is tracked",
      input: {
        busy: true,
        tracked: [[0, 0, 10, 10]],
        lastFullFrame: 10_000 - FULL_FRAME_REFRESH_MS,
      },
      regions: undefined,
    },
    {
      name: "no refresh is due on a camera with nothing tracked",
      input: { lastFullFrame: 0 },
      regions: [[0, 0, 60, 150]],
    },
    { name: "no motion boxes runs the whole frame", input: { motion: [] }, regions: undefined },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(detectionRegions({ ...MOVING, ...c.input }), c.regions);
    });
  }
});

function flat(value: number, width = 640, height = 360): Frame {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

Deno.test("the motion gate says where the frame moved, in frame pixels", () => {
  const gate = createMotionGate({ threshold: 15, minMotion: 0.002, keepAliveFps: 1 });
  const still = flat(100);
  assert.deepEqual(gate.check(still, 0).regions, []);
  const moved = flat(100);
  // A bright 40x80 "person" at x 500..540, y 200..280.
  for (let y = 200; y < 280; y++) moved.data.fill(250, (y * 640 + 500) * 3, (y * 640 + 540) * 3);
  const decision = gate.check(moved, 200);
  assert.equal(decision.reason, "motion");
  assert.deepEqual(decision.regions, [[500, 200, 540, 280]]);
});
