/**
 * Builds the adapter a detector config asks for. This runs onnxruntime in the calling thread:
 * production code uses it inside the inference Worker (see `shared_detector.ts`); benchmarks and
 * tests may call it directly.
 *
 * @module
 */
import { CenterNetDetector } from "./centernet.ts";
import { type DetectorConfig, resolveDetectorConfig } from "./detector_config.ts";
import type { Detector } from "./types.ts";
import { YoloDetector } from "./yolo.ts";

/**
 * Opens a detector in this thread.
 *
 * @param config detector config (checked here)
 * @returns the adapter chosen by `config.kind`
 * @throws {ValidationError} for a bad config field
 * @throws {DetectorError} for a missing/invalid model, a model that does not fit the adapter, or
 *   missing/empty/mismatched labels
 * @example
 * ```ts
 * const det = await openDetector({ kind: "centernet", path: "assets/models/centernet.onnx", minScore: 0.3 });
 * ```
 */
export async function openDetector(config: DetectorConfig): Promise<Detector> {
  const resolved = resolveDetectorConfig(config);
  return resolved.kind === "centernet"
    ? await CenterNetDetector.open(resolved)
    : await YoloDetector.open(resolved);
}
