import assert from "node:assert/strict";
import { join } from "node:path";
import pkg from "onnx-proto";
import { readCatalog } from "../../../models/detectors/catalog.ts";
import { openDetector } from "../../../models/detectors/open_detector.ts";
import { measureRanges } from "../../../scripts/convert/calibrate.ts";
import {
  calibrationTensors,
  quantizeModel,
  squeezeExciteConvs,
} from "../../../scripts/convert/quantize_int8.ts";
import { readFrame } from "../../support/image_frame.ts";
import { asset } from "./assets.ts";

const { onnx } = pkg;

Deno.test("readCatalog() lists centernet-int8 when the setup step wrote it, and it opens and detects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-catalog-" });
  try {
    await Deno.symlink(asset("models/centernet.onnx"), join(dir, "centernet.onnx"));
    await Deno.symlink(asset("models/coco_labels.txt"), join(dir, "coco_labels.txt"));
    assert.deepEqual([...(await readCatalog(dir)).keys()], ["centernet"]);

    // The quantiser as the setup step runs it, calibrated on one still to keep the test short.
    const model = onnx.ModelProto.decode(await Deno.readFile(asset("models/centernet.onnx")));
    const astronaut = await readFrame(asset("media/astronaut.png"));
    const options = { floatConvs: squeezeExciteConvs(model.graph!) };
    const names = calibrationTensors(model.graph!, options);
    const ranges = await measureRanges(model, names, [astronaut], 0.9999);
    const int8 = quantizeModel(model, ranges, options);
    await Deno.writeFile(join(dir, "centernet-int8.onnx"), onnx.ModelProto.encode(int8).finish());

    const catalog = await readCatalog(dir);
    assert.deepEqual([...catalog.keys()], ["centernet", "centernet-int8"]);
    const entry = catalog.get("centernet-int8")!;
    assert.equal(entry.config.kind, "centernet");
    assert.equal(entry.labels[0], "person");
    const detector = await openDetector({ ...entry.config, minScore: 0.3 });
    try {
      const found = await detector.detect(astronaut);
      assert.ok(found.some((d) => d.label === "person"), JSON.stringify(found));
    } finally {
      await detector.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
