import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { iou } from "../../../models/detectors/box.ts";
import { CenterNetDetector } from "../../../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../../../models/detectors/detector_config.ts";
import { createMotionGate } from "../../../models/analytics/motion.ts";
import type { Box, Detection } from "../../../models/detectors/types.ts";
import { readFrame } from "../../support/image_frame.ts";
import { asset } from "./assets.ts";

/** Records the input dims of every session run (onnxruntime-node's class, typed as a factory). */
function recordRuns(): { seen: number[][]; restore: () => void } {
  type Run = (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => Promise<unknown>;
  const proto = (ort.InferenceSession as unknown as { prototype: { run: Run } }).prototype;
  const seen: number[][] = [];
  const run = proto.run;
  proto.run = function (this: unknown, feeds, ...rest) {
    seen.push([...Object.values(feeds)[0]!.dims]);
    return run.call(this, feeds, ...rest);
  };
  return { seen, restore: () => proto.run = run };
}

function centredIn(box: Box, region: Box): boolean {
  const x = (box[0] + box[2]) / 2, y = (box[1] + box[3]) / 2;
  return x >= region[0] && y >= region[1] && x <= region[2] && y <= region[3];
}

function describe(dets: Detection[]): string {
  return dets.map((d) => `${d.label} ${d.score.toFixed(2)} [${d.box.map(Math.round)}]`).join("; ");
}

Deno.test("a person walking in a corner of vtest.avi is found through a crop with the full frame's box", async () => {
  const runs = recordRuns();
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path: asset("models/centernet.onnx"),
      minScore: 0.3,
    }),
  );
  try {
    // At 14 s a person walks in the top-left corner of the 768x576 frame, about [91,84,106,123].
    const before = await readFrame(asset("media/vtest.avi"), { seekSeconds: 14 });
    const frame = await readFrame(asset("media/vtest.avi"), { seekSeconds: 14.4 });
    const gate = createMotionGate({ threshold: 15, minMotion: 0.002, keepAliveFps: 1 });
    gate.check(before, 0);
    const decision = gate.check(frame, 400);
    assert.equal(decision.reason, "motion");
    const corner = decision.regions.filter((r) => r[2] <= 768 / 4 && r[3] <= 576 / 3);
    assert.equal(
      corner.length,
      1,
      `one motion region in the corner: ${JSON.stringify(decision.regions)}`,
    );

    const full = await det.detect(frame, { classes: ["person"] });
    assert.deepEqual(runs.seen.at(-1), [1, 448, 512, 3]);
    const walker = full.find((d) => d.score >= 0.5 && centredIn(d.box, corner[0]!));
    assert.ok(walker, `the full frame finds the walker: ${describe(full)}`);

    const cropped = await det.detect(frame, { classes: ["person"], regions: corner });
    const [, height = 0, width = 0] = runs.seen.at(-1)!;
    assert.ok(width * height <= 512 * 448 / 4, `a crop, not the frame: ${runs.seen.at(-1)}`);
    const match = cropped.find((d) => iou(d.box, walker.box) >= 0.85);
    assert.ok(match, `the crop finds [${walker.box.map(Math.round)}]: ${describe(cropped)}`);
    assert.ok(Math.abs(match.score - walker.score) < 0.15, `${match.score} vs ${walker.score}`);
  } finally {
    runs.restore();
    await det.close();
  }
});

Deno.test("CenterNet runs the crops of one frame that share a size as one batch", async () => {
  const runs = recordRuns();
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path: asset("models/centernet.onnx"),
      minScore: 0.3,
    }),
  );
  try {
    const frame = await readFrame(asset("media/vtest.avi"), { seekSeconds: 14.4 });
    // Two small regions in opposite corners: two windows of one size.
    await det.detect(frame, { regions: [[20, 20, 60, 120], [700, 480, 740, 520]] });
    assert.deepEqual(runs.seen.at(-1), [2, 192, 128, 3]);
  } finally {
    runs.restore();
    await det.close();
  }
});
