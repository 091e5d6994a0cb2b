/**
 * The detection filter applied before tracking: wanted classes, minimum score, and masks. A
 * detection is masked when its foot point (see {@link boxFootPoint}) lies in a mask, so a person
 * walking in front of a masked TV is still seen, while anything standing inside the masked area
 * is not.
 *
 * @module
 */
import type { Detection } from "../detectors/types.ts";
import { boxFootPoint, normalizePoint, pointInPolygon, type Polygon } from "./geometry.ts";

/** What {@link filterDetections} keeps. */
export interface DetectionFilter {
  /** Labels kept (settings `classes`). */
  classes: readonly string[];
  /** Least score kept (settings `minScore`). */
  minScore: number;
  /** Mask polygons, normalized 0..1 (settings `masks[].polygon`). */
  masks: readonly Polygon[];
}

/**
 * Drops detections of unwanted classes, low scores, or standing inside a mask.
 *
 * @param detections one frame's detections, boxes in source pixels
 * @param filter classes, minimum score and masks
 * @param width source frame width in pixels
 * @param height source frame height in pixels
 * @returns the kept detections, in their original order
 * @example
 * ```ts
 * filterDetections(detections, { classes: ["person"], minScore: 0.4, masks: [] }, 640, 360);
 * ```
 */
export function filterDetections(
  detections: readonly Detection[],
  filter: DetectionFilter,
  width: number,
  height: number,
): Detection[] {
  const classes = new Set(filter.classes);
  return detections.filter((detection) => {
    if (!classes.has(detection.label) || detection.score < filter.minScore) return false;
    if (filter.masks.length === 0) return true;
    const foot = normalizePoint(boxFootPoint(detection.box), width, height);
    return !filter.masks.some((mask) => pointInPolygon(foot, mask));
  });
}
