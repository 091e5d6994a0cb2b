import assert from "node:assert/strict";
import {
  batchesBySize,
  CROP_DEFAULTS,
  type CropWindow,
  mergeCropDetections,
  planCrops,
  snapWindow,
  windowPlacement,
} from "../../../models/detectors/crops.ts";
import {
  frameToTensor,
  placement,
  unplaceBox,
  windowsToTensor,
} from "../../../models/detectors/preprocess.ts";
import type { Box, Detection } from "../../../models/detectors/types.ts";

/** A 640x360 frame in CenterNet's 512x384 input: scale 0.8, 48 px of grey above and below. */
const CANVAS = { width: 512, height: 384 };
const PLACE = { scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 48 };

Deno.test("planCrops() merges, pads and clamps motion regions into windows", async (t) => {
  const cases: { name: string; regions: Box[]; windows: CropWindow[] | undefined }[] = [
    {
      name: "a region in a corner is padded by the context margin and kept on the canvas",
      regions: [[0, 0, 60, 150]],
      windows: [{ x: 0, y: 0, width: 128, height: 256 }],
    },
    {
      name: "a region at the bottom-right corner is shifted back onto the canvas",
      regions: [[600, 300, 640, 360]],
      windows: [{ x: 384, y: 192, width: 128, height: 192 }],
    },
    {
      name: "two regions whose windows overlap become one window",
      regions: [[100, 100, 140, 200], [150, 100, 190, 200]],
      windows: [{ x: 0, y: 64, width: 256, height: 192 }],
    },
    {
      name: "two far regions stay two windows",
      regions: [[0, 0, 40, 80], [560, 260, 600, 340]],
      windows: [{ x: 0, y: 0, width: 128, height: 192 }, {
        x: 384,
        y: 192,
        width: 128,
        height: 192,
      }],
    },
    {
      name: "regions over most of the canvas run as the whole frame",
      regions: [[0, 0, 400, 360]],
      windows: undefined,
    },
    { name: "no region runs the whole frame", regions: [], windows: undefined },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const windows = planCrops(c.regions, PLACE, CANVAS);
      assert.deepEqual(windows, c.windows);
      for (const w of windows ?? []) {
        assert.ok(w.x >= 0 && w.y >= 0, "on the canvas");
        assert.ok(
          w.x + w.width <= CANVAS.width && w.y + w.height <= CANVAS.height,
          "on the canvas",
        );
        assert.equal(w.x % CROP_DEFAULTS.align + w.y % CROP_DEFAULTS.align, 0, "aligned");
        assert.equal(w.width % 64 + w.height % 64, 0, "sides in multiples of 64");
      }
    });
  }
});

Deno.test("snapWindow() covers its box and never leaves the canvas", async (t) => {
  const cases: { name: string; box: Box; window: CropWindow }[] = [
    {
      name: "a small box gets the least window side",
      box: [100, 40, 180, 200],
      window: { x: 64, y: 0, width: 128, height: 256 },
    },
    {
      name: "a box wider than the canvas is the canvas's width",
      box: [0, 100, 512, 150],
      window: { x: 0, y: 64, width: 512, height: 128 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const w = snapWindow(c.box, CANVAS);
      assert.deepEqual(w, c.window);
      assert.ok(w.x <= c.box[0] && w.y <= c.box[1], "covers the box");
      assert.ok(w.x + w.width >= c.box[2] && w.y + w.height >= c.box[3], "covers the box");
    });
  }
});

Deno.test("a box found in a window maps back to frame pixels", async (t) => {
  const cases: { name: string; window: CropWindow; box: Box; frame: Box }[] = [
    {
      name: "a window at the origin only undoes the scale and the grey",
      window: { x: 0, y: 0, width: 128, height: 128 },
      box: [8, 56, 40, 136],
      frame: [10, 10, 50, 110],
    },
    {
      name: "a window inside the canvas adds its origin",
      window: { x: 64, y: 64, width: 128, height: 128 },
      box: [10, 20, 30, 60],
      frame: [92.5, 45, 117.5, 95],
    },
    {
      name: "a box running past the frame is clipped to it",
      window: { x: 384, y: 256, width: 128, height: 128 },
      box: [100, 70, 140, 128],
      frame: [605, 347.5, 640, 360],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(unplaceBox(c.box, windowPlacement(PLACE, c.window), 640, 360), c.frame);
    });
  }
});

function person(box: Box, score: number): Detection {
  return { label: "person", classId: 0, score, box };
}

Deno.test("mergeCropDetections() keeps one box per object seen in several windows", async (t) => {
  const cases: { name: string; perWindow: Detection[][]; kept: Detection[] }[] = [
    {
      name: "the same person in two windows keeps the better box",
      perWindow: [[person([100, 100, 140, 200], 0.6)], [person([102, 100, 142, 200], 0.7)]],
      kept: [person([102, 100, 142, 200], 0.7)],
    },
    {
      name: "two persons side by side in two windows stay two",
      perWindow: [[person([100, 100, 140, 200], 0.6)], [person([150, 100, 190, 200], 0.5)]],
      kept: [person([100, 100, 140, 200], 0.6), person([150, 100, 190, 200], 0.5)],
    },
    {
      name: "a person and a dog on the same spot both stay",
      perWindow: [[person([100, 100, 140, 200], 0.6)], [{
        ...person([100, 100, 140, 200], 0.5),
        label: "dog",
        classId: 16,
      }]],
      kept: [person([100, 100, 140, 200], 0.6), {
        ...person([100, 100, 140, 200], 0.5),
        label: "dog",
        classId: 16,
      }],
    },
    { name: "no window found anything", perWindow: [[], []], kept: [] },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.deepEqual(mergeCropDetections(c.perWindow, 0.5, 100), c.kept),
    );
  }
});

Deno.test("batchesBySize() puts windows of one size in one batch", () => {
  const a = { x: 0, y: 0, width: 128, height: 128 };
  const b = { x: 256, y: 0, width: 128, height: 192 };
  const c = { x: 384, y: 256, width: 128, height: 128 };
  assert.deepEqual(batchesBySize([a, b, c]), [[a, c], [b]]);
});

Deno.test("windowsToTensor() gives each window the full input's own pixels", () => {
  const width = 640, height = 360;
  const data = new Uint8Array(width * height * 3).map((_, i) => (i * 7919) % 251);
  const frame = { width, height, data };
  const spec = { ...CANVAS, layout: "nhwc", fit: "letterbox", range: 255 } as const;
  assert.deepEqual(placement(width, height, spec), { ...PLACE, width: 512, height: 288 });
  const full = frameToTensor(frame, spec).data;
  const windows = [{ x: 0, y: 0, width: 128, height: 128 }, {
    x: 384,
    y: 256,
    width: 128,
    height: 128,
  }];
  const batch = windowsToTensor(frame, spec, windows);
  assert.deepEqual(batch.placement, PLACE);
  assert.equal(batch.data.length, 2 * 128 * 128 * 3);
  windows.forEach((w, n) => {
    for (let y = 0; y < w.height; y++) {
      const got = batch.data.subarray(
        (n * 128 * 128 + y * 128) * 3,
        (n * 128 * 128 + y * 128 + 128) * 3,
      );
      const start = ((w.y + y) * 512 + w.x) * 3;
      assert.deepEqual(got, full.subarray(start, start + 128 * 3), `window ${n} row ${y}`);
    }
  });
});

Deno.test("windowsToTensor() refuses windows of two sizes or off the input", () => {
  const frame = { width: 64, height: 36, data: new Uint8Array(64 * 36 * 3) };
  const spec = { ...CANVAS, layout: "nhwc", fit: "letterbox", range: 255 } as const;
  assert.throws(
    () =>
      windowsToTensor(frame, spec, [{ x: 0, y: 0, width: 128, height: 128 }, {
        x: 0,
        y: 0,
        width: 64,
        height: 64,
      }]),
    /one size/,
  );
  assert.throws(
    () => windowsToTensor(frame, spec, [{ x: 448, y: 0, width: 128, height: 128 }]),
    /leaves the 512x384 input/,
  );
});
