/**
 * Writes the int8 CenterNet (`centernet-int8.onnx`) from the converted fp32 one: calibrates the
 * activations on the test media (vtest.avi, one frame every 4 s, and the still images) and
 * rewrites the convolutions to the QDQ form (`quantize_int8.ts`). Run by the setup step
 * (scripts/fetch_assets.sh) after the conversion; decision: docs/decisions/int8-detector.md.
 *
 * Usage:
 * ```sh
 * deno run -A scripts/convert/quantize_centernet.ts --model assets/models/centernet.onnx \
 *   --media assets/media --out assets/models/centernet-int8.onnx
 * ```
 *
 * @module
 */
import pkg from "onnx-proto";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { decodeCalibrationFrames, measureRanges } from "./calibrate.ts";
import { calibrationTensors, quantizeModel, squeezeExciteConvs } from "./quantize_int8.ts";

const { onnx } = pkg;
/** The calibration media in the media directory (scripts/fetch_assets.sh fetches them). */
export const CALIBRATION_MEDIA = [
  "vtest.avi",
  "messi5.jpg",
  "astronaut.png",
  "chelsea.png",
  "coffee.png",
  "motorcycle_left.png",
];

/**
 * The share of each activation's values its int8 range holds on each side. The full range (min to
 * max) kept 0.63 of the fp32 model's detections, 0.84 with the squeeze-excite convolutions in
 * fp32; clipping the top and bottom 0.01% kept 0.97 (0.1%: 0.82). docs/decisions/int8-detector.md
 */
export const CALIBRATION_PERCENTILE = 0.9999;

/** What `centernet-int8.format` says of the written model; scripts/fetch_assets.sh compares it. */
export const INT8_FORMAT = "qdq-u8s8-p9999";

/**
 * Calibrates and quantises a model file: the squeeze-excite convolutions and the head's last
 * ones stay fp32.
 *
 * @param modelPath the fp32 model
 * @param mediaDir where the calibration media are
 * @returns the serialized int8 model and how many frames calibrated it
 */
export async function quantizeCenterNet(
  modelPath: string,
  mediaDir: string,
): Promise<{ bytes: Uint8Array; frames: number }> {
  const model = onnx.ModelProto.decode(await Deno.readFile(modelPath));
  const frames = (await Promise.all(
    CALIBRATION_MEDIA.map((name) => decodeCalibrationFrames(join(mediaDir, name))),
  )).flat();
  const options = { floatConvs: squeezeExciteConvs(model.graph ?? {}) };
  const names = calibrationTensors(model.graph ?? {}, options);
  const ranges = await measureRanges(model, names, frames, CALIBRATION_PERCENTILE);
  const quantized = quantizeModel(model, ranges, options);
  return { bytes: onnx.ModelProto.encode(quantized).finish(), frames: frames.length };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      media: { type: "string" },
      out: { type: "string" },
    },
  });
  if (!values.model || !values.media || !values.out) {
    console.error(
      "usage: quantize_centernet.ts --model <fp32.onnx> --media <dir> --out <int8.onnx>",
    );
    Deno.exit(2);
  }
  const { bytes, frames } = await quantizeCenterNet(values.model, values.media);
  await Deno.writeFile(`${values.out}.part`, bytes);
  await Deno.rename(`${values.out}.part`, values.out);
  await Deno.writeTextFile(values.out.replace(/\.onnx$/, "") + ".format", `${INT8_FORMAT}\n`);
  console.log(`quantize: ${values.out} (${frames} calibration frames)`);
}
