/**
 * Where a frame moved: the motion gate's changed cells grouped into boxes, and the policy that
 * turns them (with the boxes of the objects being tracked) into the regions the detector looks
 * at instead of the whole frame ("detect where things move", as Frigate does). Pure functions;
 * why and what it measured: docs/decisions/analysis-capacity.md.
 *
 * @module
 */
import type { Box } from "../detectors/types.ts";

/**
 * Groups changed cells into boxes: cells at most `gap` empty cells apart (in any direction) join
 * one group, so a person whose shirt matches the wall still comes out as one box.
 *
 * @param cells `width * height` cells, 1 = changed
 * @param width grid width
 * @param height grid height
 * @param gap empty cells a group may bridge
 * @returns one box per group in cell units, `[x1, y1, x2, y2)` (exclusive ends), in scan order
 * @example
 * ```ts
 * cellBoxes(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 1]), 3, 3, 0); // [[0,0,1,1], [2,2,3,3]]
 * ```
 */
export function cellBoxes(cells: Uint8Array, width: number, height: number, gap = 1): Box[] {
  const seen = new Uint8Array(width * height);
  const reach = gap + 1;
  const boxes: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < cells.length; start++) {
    if (cells[start] !== 1 || seen[start] === 1) continue;
    seen[start] = 1;
    stack.push(start);
    const box: Box = [width, height, 0, 0];
    while (stack.length > 0) {
      const c = stack.pop()!;
      const x = c % width;
      const y = (c - x) / width;
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x + 1);
      box[3] = Math.max(box[3], y + 1);
      for (let yy = Math.max(0, y - reach); yy <= Math.min(height - 1, y + reach); yy++) {
        for (let xx = Math.max(0, x - reach); xx <= Math.min(width - 1, x + reach); xx++) {
          const n = yy * width + xx;
          if (cells[n] === 1 && seen[n] === 0) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    boxes.push(box);
  }
  return boxes;
}

/**
 * Scales boxes from grid cells to frame pixels.
 *
 * @param boxes boxes in cell units
 * @param gridWidth grid width
 * @param gridHeight grid height
 * @param frameWidth frame width
 * @param frameHeight frame height
 * @returns the boxes in frame pixels
 * @example
 * ```ts
 * cellsToFrame([[1, 1, 2, 2]], 64, 36, 640, 360); // [[10, 10, 20, 20]]
 * ```
 */
export function cellsToFrame(
  boxes: readonly Box[],
  gridWidth: number,
  gridHeight: number,
  frameWidth: number,
  frameHeight: number,
): Box[] {
  const sx = frameWidth / gridWidth;
  const sy = frameHeight / gridHeight;
  return boxes.map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]);
}

/** Share of the frame the regions may cover before a full frame is the better run. */
export const FULL_FRAME_SHARE = 0.5;
/** While anything is tracked or an event is open, a full frame at least this often. */
export const FULL_FRAME_REFRESH_MS = 3000;

/** What {@link detectionRegions} decides from. */
export interface RegionInput {
  /** Whether the camera's settings let the detector run on crops (`rules.motionCrops`). */
  enabled: boolean;
  /** Why the gate ran the detector: only `motion` has regions; a keep-alive runs a full frame. */
  reason: "motion" | "keepalive";
  /** Where the frame moved, frame pixels. */
  motion: readonly Box[];
  /** Where the tracked objects were last seen, frame pixels (they may stand still). */
  tracked: readonly Box[];
  /** Whether anything is tracked or an event is open: then full frames keep coming. */
  busy: boolean;
  /** Now and the time of the last full-frame run, ms. */
  now: number;
  lastFullFrame: number;
  frameWidth: number;
  frameHeight: number;
}

/**
 * The regions to run the detector on, or `undefined` for the whole frame: a keep-alive run, a
 * camera with crops off, motion over most of the picture ({@link FULL_FRAME_SHARE}), or a
 * full-frame refresh due while something is tracked or an event is open
 * ({@link FULL_FRAME_REFRESH_MS}), so an object that neither moves nor is tracked yet is found.
 * Tracked objects' boxes join the motion so a person standing still keeps their track.
 *
 * @param input the gate's decision, the tracks and the clock
 * @returns boxes in frame pixels, or undefined for a full frame
 * @example
 * ```ts
 * detectionRegions({ enabled: true, reason: "motion", motion: [[0, 0, 50, 90]], tracked: [],
 *   busy: false, now: 0, lastFullFrame: 0, frameWidth: 640, frameHeight: 360 }); // [[0, 0, 50, 90]]
 * ```
 */
export function detectionRegions(input: RegionInput): Box[] | undefined {
  if (!input.enabled || input.reason !== "motion" || input.motion.length === 0) return undefined;
  if (input.busy && input.now - input.lastFullFrame >= FULL_FRAME_REFRESH_MS) return undefined;
  const regions = [...input.motion, ...input.tracked];
  const area = regions.reduce((sum, b) => sum + (b[2] - b[0]) * (b[3] - b[1]), 0);
  if (area > FULL_FRAME_SHARE * input.frameWidth * input.frameHeight) return undefined;
  return regions;
}
