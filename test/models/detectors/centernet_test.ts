import assert from "node:assert/strict";
import { iou } from "../../../models/detectors/box.ts";
import * as ort from "onnxruntime-node";
import { CenterNetDetector, fittedInputSize } from "../../../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../../../models/detectors/detector_config.ts";
import { readFrame } from "../../support/image_frame.ts";
import { SharedDetector } from "../../../models/detectors/shared_detector.ts";
import type { Box, Detection } from "../../../models/detectors/types.ts";
import { asset } from "./assets.ts";

/**
 * Boxes labelled once by hand, by looking at each image (source pixels, x1,y1,x2,y2).
 * The vtest.avi frame is the one at 3 s.
 */
const LABELLED: { file: string; label: string; box: Box }[] = [
  { file: "astronaut.png", label: "person", box: [20, 15, 365, 512] },
  { file: "chelsea.png", label: "cat", box: [0, 0, 410, 300] },
  { file: "coffee.png", label: "cup", box: [172, 18, 410, 290] },
  { file: "motorcycle_left.png", label: "motorcycle", box: [95, 95, 685, 450] },
  { file: "messi5.jpg", label: "person", box: [68, 60, 457, 335] },
  { file: "messi5.jpg", label: "sports ball", box: [337, 288, 388, 337] },
];
const VTEST_PERSONS: Box[] = [
  [377, 185, 407, 265],
  [387, 179, 410, 255],
  [402, 227, 429, 295],
  [629, 252, 666, 354],
  [667, 247, 698, 344],
];
const MIN_SCORE = 0.3;

function bestMatch(dets: Detection[], label: string, box: Box): number {
  return Math.max(0, ...dets.filter((d) => d.label === label).map((d) => iou(d.box, box)));
}

function describe(dets: Detection[]): string {
  return dets.map((d) => `${d.label} ${d.score.toFixed(2)} [${d.box.map(Math.round)}]`).join("; ");
}

Deno.test("CenterNet finds the expected objects in the Debian test images", async (t) => {
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path: asset("models/centernet.onnx"),
      minScore: MIN_SCORE,
    }),
  );
  try {
    assert.equal(det.labels.length, 80);
    for (const { file, label, box } of LABELLED) {
      await t.step(`${file} → ${label}`, async () => {
        const dets = await det.detect(await readFrame(asset(`media/${file}`)));
        const match = bestMatch(dets, label, box);
        assert.ok(
          match >= 0.5,
          `no ${label} at IoU ≥ 0.5 (best ${match.toFixed(2)}): ${describe(dets)}`,
        );
      });
    }
    await t.step("vtest.avi frame → several persons", async () => {
      const dets = await det.detect(await readFrame(asset("media/vtest.avi"), { seekSeconds: 3 }));
      const found = VTEST_PERSONS.filter((box) => bestMatch(dets, "person", box) >= 0.5);
      assert.ok(found.length >= 3, `${found.length} of 5 persons found: ${describe(dets)}`);
    });
  } finally {
    await det.close();
  }
});

Deno.test("CenterNet class filter keeps only the asked classes", async () => {
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path: asset("models/centernet.onnx"),
      minScore: MIN_SCORE,
      classes: ["sports ball"],
    }),
  );
  try {
    const dets = await det.detect(await readFrame(asset("media/messi5.jpg")));
    assert.ok(dets.length > 0);
    assert.ok(dets.every((d) => d.label === "sports ball"), describe(dets));
  } finally {
    await det.close();
  }
});

Deno.test("CenterNet through the shared worker gives the same detections as in-process", async () => {
  const config = {
    kind: "centernet",
    path: asset("models/centernet.onnx"),
    minScore: MIN_SCORE,
  } as const;
  const frame = await readFrame(asset("media/motorcycle_left.png"));
  const local = await CenterNetDetector.open(resolveDetectorConfig(config));
  const expected = await local.detect(frame).finally(() => local.close());
  const shared = await SharedDetector.open(config);
  try {
    const outcome = await shared.detect("cam-1", frame);
    assert.equal(outcome.status, "done");
    if (outcome.status === "done") assert.deepEqual(outcome.detections, expected);
  } finally {
    await shared.close();
  }
});

Deno.test("fittedInputSize() keeps the frame's aspect ratio with a grey margin, in multiples of 64", () => {
  const cases: [number, number, number, { width: number; height: number }][] = [
    [640, 360, 512, { width: 512, height: 384 }],
    [1920, 1080, 512, { width: 512, height: 384 }],
    [768, 576, 512, { width: 512, height: 448 }],
    [360, 640, 512, { width: 384, height: 512 }],
    [512, 512, 512, { width: 512, height: 512 }],
    [1000, 10, 320, { width: 320, height: 128 }],
  ];
  for (const [w, h, side, expected] of cases) {
    assert.deepEqual(fittedInputSize(w, h, side), expected);
  }
});

Deno.test("CenterNet runs a 16:9 frame at 512x384 with the setup step's model and still finds the persons", async () => {
  // Records the input dims of every run (onnxruntime-node's session class, typed as a factory).
  type Run = (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => Promise<unknown>;
  const proto = (ort.InferenceSession as unknown as { prototype: { run: Run } }).prototype;
  const seen: number[][] = [];
  const run = proto.run;
  proto.run = function (this: unknown, feeds, ...rest) {
    seen.push([...Object.values(feeds)[0]!.dims]);
    return run.call(this, feeds, ...rest);
  };
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path: asset("models/centernet.onnx"),
      minScore: 0.3,
    }),
  );
  try {
    // vtest.avi's 768x576 frame at 3 s, cropped to 16:9 around the persons of VTEST_PERSONS.
    const full = await readFrame(asset("media/vtest.avi"), { seekSeconds: 3 });
    const top = 140, height = 432;
    const frame = {
      width: full.width,
      height,
      data: full.data.slice(top * full.width * 3, (top + height) * full.width * 3),
    };
    const dets = await det.detect(frame);
    assert.deepEqual(seen.at(-1), [1, 384, 512, 3]);
    const moved = VTEST_PERSONS.map((b): Box => [b[0], b[1] - top, b[2], b[3] - top]);
    const found = moved.filter((box) => bestMatch(dets, "person", box) >= 0.5);
    assert.ok(found.length >= 3, `${found.length} of 5 persons found: ${describe(dets)}`);
  } finally {
    proto.run = run;
    await det.close();
  }
});
