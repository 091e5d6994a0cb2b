/**
 * YOLO post-processing for the two common Ultralytics ONNX export layouts:
 * - v5: `[1, N, 5 + C]`, rows of `cx, cy, w, h, objectness, class scores...`;
 * - v8/v11: `[1, 4 + C, N]`, columns of `cx, cy, w, h, class scores...` (no objectness).
 * Boxes are in letterboxed input pixels; they are mapped back to the source frame here.
 *
 * @module
 */
import { nms } from "./box.ts";
import { DetectorError } from "./detector_error.ts";
import { type Placement, unplaceBox } from "./preprocess.ts";
import type { Detection } from "./types.ts";

/** Which export layout an output tensor uses. */
export type YoloLayout = "v5" | "v8";

/** How to turn the output into detections. */
export interface YoloDecodeOptions {
  minScore: number;
  labels: readonly string[];
  /** Only these class ids; all when omitted. */
  classes?: ReadonlySet<number>;
  /** Where the frame landed in the input (letterbox), to map boxes back. */
  placement: Placement;
  frameWidth: number;
  frameHeight: number;
  iouThreshold: number;
  maxDetections: number;
}

/**
 * Recognizes the layout of a YOLO output from its shape and the number of labels.
 *
 * @param dims output shape, e.g. `[1, 84, 8400]`
 * @param numClasses number of labels
 * @returns the layout
 * @throws {DetectorError} `model_mismatch` if the shape is not a YOLO output, `labels_mismatch`
 *   if it is but its class count differs from the labels file
 * @example
 * ```ts
 * yoloLayout([1, 84, 8400], 80); // "v8"
 * yoloLayout([1, 25200, 85], 80); // "v5"
 * ```
 */
export function yoloLayout(dims: readonly number[], numClasses: number): YoloLayout {
  const [batch, a = 0, b = 0] = dims;
  if (dims.length !== 3 || batch !== 1) {
    throw new DetectorError(
      "model_mismatch",
      `yolo: output shape [${dims}] is neither [1,N,5+C] (v5) nor [1,4+C,N] (v8/v11)`,
    );
  }
  // Anchors (N) far outnumber classes in every real export, so the smaller axis holds the classes.
  if (a <= b) {
    if (a === 4 + numClasses) return "v8";
    throw new DetectorError(
      "labels_mismatch",
      `yolo: output [${dims}] (v8/v11 layout) has ${
        a - 4
      } classes but the labels file has ${numClasses}`,
    );
  }
  if (b === 5 + numClasses) return "v5";
  throw new DetectorError(
    "labels_mismatch",
    `yolo: output [${dims}] (v5 layout) has ${b - 5} classes but the labels file has ${numClasses}`,
  );
}

/**
 * Decodes a YOLO output into detections in source-frame pixels: threshold → best class →
 * undo letterbox → clip → class-aware NMS.
 *
 * @param output the output tensor data
 * @param dims its shape
 * @param layout from {@linkcode yoloLayout}
 * @param opts thresholds and geometry
 * @returns detections, best score first
 * @example
 * ```ts
 * const dets = decodeYolo(data, [1, 84, 8400], "v8", { minScore: 0.25, labels, frameWidth: 1280,
 *   frameHeight: 720, placement: { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 }, iouThreshold: 0.45, maxDetections: 100 });
 * ```
 */
export function decodeYolo(
  output: Float32Array,
  dims: readonly number[],
  layout: YoloLayout,
  opts: YoloDecodeOptions,
): Detection[] {
  const v8 = layout === "v8";
  const anchors = (v8 ? dims[2] : dims[1]) ?? 0;
  const attrs = (v8 ? dims[1] : dims[2]) ?? 0;
  const first = v8 ? 4 : 5;
  const classes = attrs - first;
  // v8 stores attribute k of anchor i at k*N+i, v5 at i*attrs+k.
  const at = v8
    ? (i: number, k: number) => output[k * anchors + i]!
    : (i: number, k: number) => output[i * attrs + k]!;
  const candidates: Detection[] = [];
  for (let i = 0; i < anchors; i++) {
    const objectness = v8 ? 1 : at(i, 4);
    if (objectness < opts.minScore) continue;
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (opts.classes && !opts.classes.has(c)) continue;
      const s = at(i, first + c);
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    const score = objectness * bestScore;
    if (best < 0 || score < opts.minScore) continue;
    const cx = at(i, 0), cy = at(i, 1), w = at(i, 2), h = at(i, 3);
    const box = unplaceBox(
      [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
      opts.placement,
      opts.frameWidth,
      opts.frameHeight,
    );
    if (box[2] <= box[0] || box[3] <= box[1]) continue;
    candidates.push({ label: opts.labels[best] ?? `class${best}`, classId: best, score, box });
  }
  return nms(candidates, opts.iouThreshold, opts.maxDetections);
}
