/**
 * The models this box can run, found in the models directory (`VIGIL_MODELS_DIR`, default
 * `./assets/models`):
 *
 * - `centernet.onnx` (+ `coco_labels.txt`), written by the setup step, is the model `centernet`;
 * - `centernet-int8.onnx`, its int8 quantisation (also the setup step's), is `centernet-int8`
 *   (docs/decisions/int8-detector.md);
 * - every `<name>.json` is a user model: a detector config (see `detector_config.ts`) whose
 *   `path` and `labelsPath` are relative to the directory, e.g.
 *   `{"kind":"yolo","path":"yolov8n.onnx","labelsPath":"yolov8n.txt"}` is the model `<name>`.
 *
 * Only names and labels are read here; sessions are opened on first use by the detector pool.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { DetectorConfig } from "./detector_config.ts";
import { resolveDetectorConfig } from "./detector_config.ts";
import { readLabels } from "./labels.ts";
import { createLogger } from "../log.ts";

/** One runnable model. */
export interface CatalogEntry {
  name: string;
  config: DetectorConfig;
  labels: readonly string[];
}

/**
 * The score the shared detector keeps; each camera filters further with its own `minScore`, so
 * one session serves cameras with different thresholds.
 */
export const CATALOG_MIN_SCORE = 0.2;
const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const log = createLogger("models");

/**
 * Lists the models in a directory. Broken user model files are logged and left out, so one bad
 * file cannot keep the others from loading.
 *
 * @param dir the models directory
 * @returns the entries by name
 */
export async function readCatalog(dir: string): Promise<Map<string, CatalogEntry>> {
  const catalog = new Map<string, CatalogEntry>();
  const add = async (name: string, raw: Record<string, unknown>) => {
    const resolve = (p: unknown) => typeof p === "string" && !isAbsolute(p) ? join(dir, p) : p;
    const config = resolveDetectorConfig({
      minScore: CATALOG_MIN_SCORE,
      ...raw,
      path: resolve(raw.path),
      ...(raw.labelsPath === undefined ? {} : { labelsPath: resolve(raw.labelsPath) }),
    });
    catalog.set(name, { name, config, labels: await readLabels(config.labelsPath) });
  };
  for (const name of ["centernet", "centernet-int8"]) {
    try {
      await Deno.stat(join(dir, `${name}.onnx`));
      await add(name, { kind: "centernet", path: `${name}.onnx` });
    } catch (error) {
      log.warn(`the ${name} model is missing: run scripts/setup.sh`, { dir, error });
    }
  }
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return catalog;
  }
  for (const entry of entries) {
    const name = entry.name.replace(/\.json$/, "");
    if (!entry.isFile || name === entry.name || !MODEL_NAME.test(name)) continue;
    try {
      const raw = JSON.parse(await Deno.readTextFile(join(dir, entry.name)));
      if (typeof raw !== "object" || raw === null) throw new Error("not a JSON object");
      await add(name, raw);
    } catch (error) {
      log.warn("model file ignored", { file: entry.name, error });
    }
  }
  return catalog;
}
