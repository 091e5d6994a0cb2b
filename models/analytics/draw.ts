/**
 * Draws boxes on rgb24 frames, for event snapshots (and annotated streams): a pure function on a
 * copy of the pixels.
 *
 * @module
 */
import type { Box, Frame } from "../detectors/types.ts";

/** An RGB colour. */
export type Rgb = [r: number, g: number, b: number];

/**
 * Returns a copy of `frame` with rectangle outlines drawn.
 *
 * @param frame the rgb24 frame (not changed)
 * @param boxes boxes in frame pixels; parts outside the frame are clipped
 * @param color outline colour (default a bright green)
 * @param thickness outline width in pixels (default 2)
 * @returns a new frame
 * @example
 * ```ts
 * const annotated = drawBoxes(frame, [[10, 10, 50, 80]]);
 * ```
 */
export function drawBoxes(
  frame: Frame,
  boxes: readonly Box[],
  color: Rgb = [0, 255, 0],
  thickness = 2,
): Frame {
  const { width, height } = frame;
  const data = frame.data.slice();
  const paint = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    data[i] = color[0];
    data[i + 1] = color[1];
    data[i + 2] = color[2];
  };
  const clampX = (v: number) => Math.min(width - 1, Math.max(0, Math.round(v)));
  const clampY = (v: number) => Math.min(height - 1, Math.max(0, Math.round(v)));
  for (const [bx1, by1, bx2, by2] of boxes) {
    const x1 = clampX(bx1), y1 = clampY(by1), x2 = clampX(bx2), y2 = clampY(by2);
    for (let t = 0; t < thickness; t++) {
      for (let x = x1; x <= x2; x++) {
        paint(x, Math.min(y2, y1 + t));
        paint(x, Math.max(y1, y2 - t));
      }
      for (let y = y1; y <= y2; y++) {
        paint(Math.min(x2, x1 + t), y);
        paint(Math.max(x1, x2 - t), y);
      }
    }
  }
  return { width, height, data };
}
