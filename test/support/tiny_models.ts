/**
 * A models dir holding one tiny YOLO model (`tiny`) that finds the same person in every frame,
 * so analysis tests know exactly what the detector sees without the real model's CPU cost.
 *
 * @module
 */
import { constantModel, yoloOutput } from "../models/detectors/tiny_onnx.ts";

/** The model's name in the catalog. */
export const TINY_MODEL = "tiny";

/**
 * Writes `tiny.onnx`, its labels and `tiny.json` into a new temp dir.
 *
 * @returns the dir (the caller removes it)
 */
export async function tinyModelsDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-models-" });
  const out = yoloOutput("v8", 8, 3, [{ box: [8, 20, 24, 44], scores: [0.875, 0, 0] }]);
  await Deno.writeFile(
    `${dir}/tiny.onnx`,
    constantModel({ name: "images", dims: [1, 3, 64, 64] }, [{ name: "output0", ...out }]),
  );
  await Deno.writeTextFile(`${dir}/tiny.txt`, "person\ncar\ndog\n");
  await Deno.writeTextFile(
    `${dir}/${TINY_MODEL}.json`,
    JSON.stringify({ kind: "yolo", path: "tiny.onnx", labelsPath: "tiny.txt", threads: 1 }),
  );
  return dir;
}
