/**
 * CenterNet post-processing: peaks of the class heatmap become object centres, and the distance
 * map at each peak gives the box edges. Pure functions over the raw output arrays.
 *
 * @module
 */
import { nms } from "./box.ts";
import { type Placement, unplaceBox } from "./preprocess.ts";
import type { Box, Detection } from "./types.ts";

/** Peaks kept (best first) before NMS. */
export const PRE_NMS_LIMIT = 1000;

/** A local maximum of one class plane of the heatmap. */
export interface Peak {
  classId: number;
  x: number;
  y: number;
  score: number;
}

/** Raw CenterNet outputs, both NCHW with batch 1. */
export interface CenterNetOutputs {
  /** `[1, classes, height, width]` centre probabilities. */
  heatmap: Float32Array;
  /** `[1, 4, height, width]` distances left, top, right, bottom in input pixels. */
  distances: Float32Array;
  classes: number;
  height: number;
  width: number;
}

/** How to turn outputs into detections. */
export interface CenterNetDecodeOptions {
  /** Input pixels per heatmap cell (4 for the converted model). */
  stride: number;
  /** Minimum heatmap score for a peak. */
  minScore: number;
  /** Where the frame landed in the input, to map boxes back. */
  placement: Placement;
  frameWidth: number;
  frameHeight: number;
  labels: readonly string[];
  /** Only these class ids; all when omitted. */
  classes?: ReadonlySet<number>;
  iouThreshold: number;
  maxDetections: number;
}

/**
 * Finds the 3x3 local maxima of each class plane that reach `minScore` (what the original model's
 * MaxPool + Equal step does: a cell is a peak when no neighbour is higher).
 *
 * @param heatmap `[classes, height, width]` scores
 * @param classes number of class planes
 * @param height plane height
 * @param width plane width
 * @param minScore threshold
 * @param only keep only these class ids (all when omitted)
 * @returns the peaks, in plane order
 * @example
 * ```ts
 * findPeaks(new Float32Array([0, 0, 0, 0, 0.9, 0, 0, 0, 0]), 1, 3, 3, 0.5);
 * // [{ classId: 0, x: 1, y: 1, score: 0.9 }]
 * ```
 */
export function findPeaks(
  heatmap: Float32Array,
  classes: number,
  height: number,
  width: number,
  minScore: number,
  only?: ReadonlySet<number>,
): Peak[] {
  const peaks: Peak[] = [];
  const plane = height * width;
  for (let c = 0; c < classes; c++) {
    if (only && !only.has(c)) continue;
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = heatmap[base + y * width + x]!;
        // Most cells are far below the threshold: test that before the 3x3 scan.
        if (v < minScore) continue;
        let isPeak = true;
        for (let dy = -1; dy <= 1 && isPeak; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
            if (heatmap[base + yy * width + xx]! > v) {
              isPeak = false;
              break;
            }
          }
        }
        if (isPeak) peaks.push({ classId: c, x, y, score: v });
      }
    }
  }
  return peaks;
}

/**
 * Turns a peak into a box in input pixels: `[s·x − l, s·y − t, s·x + r, s·y + b]`.
 *
 * @param peak the peak
 * @param distances `[4, height, width]` left, top, right, bottom
 * @param height plane height
 * @param width plane width
 * @param stride input pixels per cell
 * @returns the box in input pixels
 * @example
 * ```ts
 * // with l,t,r,b = 8,8,8,8 at cell (2,3), stride 4: [0, 4, 16, 20]
 * ```
 */
export function peakBox(
  peak: Peak,
  distances: Float32Array,
  height: number,
  width: number,
  stride: number,
): Box {
  const plane = height * width;
  const i = peak.y * width + peak.x;
  const cx = peak.x * stride;
  const cy = peak.y * stride;
  return [
    cx - distances[i]!,
    cy - distances[plane + i]!,
    cx + distances[2 * plane + i]!,
    cy + distances[3 * plane + i]!,
  ];
}

/**
 * Decodes CenterNet outputs into detections in source-frame pixels: peaks → boxes → mapped back
 * through the resize → clipped → class-aware NMS (neighbouring peaks of one object
 * sometimes both survive the 3x3 test).
 *
 * @param out the raw outputs
 * @param opts thresholds and geometry
 * @returns detections, best score first
 * @example
 * ```ts
 * const dets = decodeCenterNet(out, { stride: 4, minScore: 0.3,
 *   placement: { scaleX: 0.4, scaleY: 0.4, padX: 0, padY: 112 },
 *   frameWidth: 1280, frameHeight: 720, labels, iouThreshold: 0.5, maxDetections: 100 });
 * ```
 */
export function decodeCenterNet(out: CenterNetOutputs, opts: CenterNetDecodeOptions): Detection[] {
  const peaks = findPeaks(
    out.heatmap,
    out.classes,
    out.height,
    out.width,
    opts.minScore,
    opts.classes,
  );
  // Like the original graph's TopK: bounds NMS work when a noisy heatmap yields many peaks.
  peaks.sort((a, b) => b.score - a.score);
  const candidates = peaks.slice(0, PRE_NMS_LIMIT).map((p): Detection => {
    const b = peakBox(p, out.distances, out.height, out.width, opts.stride);
    const box = unplaceBox(b, opts.placement, opts.frameWidth, opts.frameHeight);
    return {
      label: opts.labels[p.classId] ?? `class${p.classId}`,
      classId: p.classId,
      score: p.score,
      box,
    };
  }).filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]);
  return nms(candidates, opts.iouThreshold, opts.maxDetections);
}
