/**
 * A CenterNet whose input has dynamic height and width but a batch of one (`[1,H,W,3]`, what a
 * converter that only freed the spatial sizes writes) passes the adapter's signature check; motion
 * crops, on by default, must not send it a batch of several windows it cannot run.
 */
import assert from "node:assert/strict";
import pkg from "onnx-proto";
import { CenterNetDetector } from "../../../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../../../models/detectors/detector_config.ts";
import { readFrame } from "../../support/image_frame.ts";
import { asset } from "./assets.ts";

const { onnx } = pkg;

/** centernet.onnx with its input's batch dimension fixed to 1, in a temp dir. */
async function batchOfOneModel(): Promise<{ dir: string; path: string }> {
  const model = onnx.ModelProto.decode(await Deno.readFile(asset("models/centernet.onnx")));
  const dims = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
  dims[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 });
  const dir = await Deno.makeTempDir({ prefix: "vigil-centernet-b1-" });
  const path = `${dir}/centernet.onnx`;
  await Deno.writeFile(path, onnx.ModelProto.encode(model).finish());
  await Deno.copyFile(asset("models/coco_labels.txt"), `${dir}/coco_labels.txt`);
  return { dir, path };
}

Deno.test("a CenterNet with a batch of one runs two motion crops of one size", async () => {
  const { dir, path } = await batchOfOneModel();
  const det = await CenterNetDetector.open(
    resolveDetectorConfig({
      kind: "centernet",
      path,
      labelsPath: `${dir}/coco_labels.txt`,
      minScore: 0.3,
    }),
  );
  try {
    const frame = await readFrame(asset("media/vtest.avi"), { seekSeconds: 14.4 });
    // Two small regions far apart: two 128x128 windows of the 512x448 input, one size.
    const whole = await det.detect(frame, { classes: ["person"] });
    const cropped = await det.detect(frame, {
      classes: ["person"],
      regions: [[300, 150, 310, 160], [580, 440, 590, 450]],
    });
    assert.ok(whole.length > 0);
    assert.ok(Array.isArray(cropped));
  } finally {
    await det.close();
    await Deno.remove(dir, { recursive: true });
  }
});
