/**
 * Box geometry for post-processing: overlap, clipping and class-aware non-maximum suppression.
 *
 * @module
 */
import type { Box } from "./types.ts";

/** What NMS needs from a candidate. */
export interface Scored {
  box: Box;
  score: number;
  classId: number;
}

/**
 * Intersection over union of two boxes.
 *
 * @param a first box
 * @param b second box
 * @returns 0 (disjoint or empty) to 1 (identical)
 * @example
 * ```ts
 * iou([0, 0, 10, 10], [5, 0, 15, 10]); // 1/3
 * ```
 */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Clips a box to a `width` x `height` frame.
 *
 * @param box the box
 * @param width frame width
 * @param height frame height
 * @returns a new box inside the frame
 * @example
 * ```ts
 * clipBox([-5, 2, 700, 30], 640, 360); // [0, 2, 640, 30]
 * ```
 */
export function clipBox(box: Box, width: number, height: number): Box {
  return [
    Math.min(Math.max(box[0], 0), width),
    Math.min(Math.max(box[1], 0), height),
    Math.min(Math.max(box[2], 0), width),
    Math.min(Math.max(box[3], 0), height),
  ];
}

/**
 * Greedy class-aware non-maximum suppression: keeps the best-scoring candidate and drops the
 * others of the same class that overlap it by more than `iouThreshold`. Different classes never
 * suppress each other (a person on a bicycle keeps both boxes).
 *
 * @param candidates detections in any order
 * @param iouThreshold overlap above which a weaker box of the same class is dropped
 * @param maxDetections keep at most this many
 * @returns the kept candidates, best score first
 * @example
 * ```ts
 * nms([{ box: [0, 0, 10, 10], score: 0.9, classId: 0 }, { box: [1, 0, 11, 10], score: 0.8, classId: 0 }], 0.5, 10);
 * // keeps only the 0.9 box
 * ```
 */
export function nms<T extends Scored>(
  candidates: readonly T[],
  iouThreshold: number,
  maxDetections: number,
): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.classId === c.classId && iou(k.box, c.box) > iouThreshold)) continue;
    kept.push(c);
  }
  return kept;
}
