/**
 * Crops for "detect where things move": the regions of a frame worth looking at become windows of
 * the model input the whole frame would have been fitted into (the canvas), so a crop runs at the
 * full frame's scale and its pixels are the full input's pixels — no second resampling, the same
 * grey margin at the frame's edges. Windows are aligned to 64 canvas pixels (twice the backbone's
 * deepest stride), sized in multiples of 64 (odd multiples of 32 moved detections: centernet.ts), padded
 * with context, merged where they meet, and dropped for a full frame when they would cost as
 * much. Pure functions; why: docs/decisions/analysis-capacity.md.
 *
 * @module
 */
import { nms } from "./box.ts";
import type { Placement } from "./preprocess.ts";
import type { Box, Detection } from "./types.ts";

/** A window of the canvas, in canvas pixels. */
export interface CropWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How windows are cut. */
export interface CropPlanOptions {
  /** Canvas pixels of context around each region (the model sees a person with their surroundings). */
  context: number;
  /** Window origins are multiples of this. */
  align: number;
  /** Window sides are multiples of this. */
  step: number;
  /** Least window side. */
  minSide: number;
  /** Windows covering more than this share of the canvas run as one full frame instead. */
  fullShare: number;
  /** A crop's scores are multiplied by this (capped at 1) to read like the full frame's. */
  scoreGain: number;
}

/**
 * The defaults, measured on vtest.avi (`deno task bench accuracy`, the default pipeline against
 * the full-frame fp32 detector, 79 s): windows of at least 128 px (a 4x4 grid at the backbone's
 * deepest stride) on a 64 px grid, a full frame past 60% of the canvas. Origins on odd multiples
 * of 32 lost detections, as odd sizes do (detection recall 0.898 → 0.924 on 20 s). A crop's
 * scores run low — the backbone's squeeze-excite blocks average over the whole input, and a crop
 * is mostly the moving object: median crop/full score 0.89 on the objects both found — so they
 * are scaled by 1/0.89 (recall 0.924 → 0.975 on 20 s, 8 extra detections against 700). 48 px of
 * context (about a person's height at 15 m) rather than 32 kept the one event 32 lost (events
 * 0.931 → 0.966, as the whole frame).
 */
export const CROP_DEFAULTS: Readonly<CropPlanOptions> = Object.freeze({
  context: 48,
  align: 64,
  step: 64,
  minSide: 128,
  fullShare: 0.6,
  scoreGain: 1.12,
});

/** The canvas box covering a frame box, padded by `context` and clamped to the canvas. */
function toCanvas(
  box: Box,
  place: Placement,
  canvas: { width: number; height: number },
  context: number,
): Box {
  return [
    Math.max(0, box[0] * place.scaleX + place.padX - context),
    Math.max(0, box[1] * place.scaleY + place.padY - context),
    Math.min(canvas.width, box[2] * place.scaleX + place.padX + context),
    Math.min(canvas.height, box[3] * place.scaleY + place.padY + context),
  ];
}

/** One axis of a window: covers `[lo, hi)`, origin on `align`, length a multiple of `step`. */
function snapAxis(lo: number, hi: number, limit: number, o: CropPlanOptions): [number, number] {
  const start = Math.floor(lo / o.align) * o.align;
  const length = Math.min(limit, Math.max(o.minSide, Math.ceil((hi - start) / o.step) * o.step));
  // Centre the rounding's extra room on the region, then keep the window on the canvas.
  const centred = start - Math.floor((length - (hi - start)) / 2 / o.align) * o.align;
  return [Math.min(Math.max(0, centred), limit - length), length];
}

/**
 * The window covering a canvas box.
 *
 * @param box canvas box
 * @param canvas the canvas size (multiples of `step`)
 * @param options alignment and sizes
 * @returns the window
 * @example
 * ```ts
 * snapWindow([100, 40, 180, 200], { width: 512, height: 384 }, CROP_DEFAULTS);
 * // { x: 64, y: 0, width: 128, height: 256 }
 * ```
 */
export function snapWindow(
  box: Box,
  canvas: { width: number; height: number },
  options: CropPlanOptions = CROP_DEFAULTS,
): CropWindow {
  const [x, width] = snapAxis(box[0], box[2], canvas.width, options);
  const [y, height] = snapAxis(box[1], box[3], canvas.height, options);
  return { x, y, width, height };
}

function overlaps(a: CropWindow, b: CropWindow): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
    b.y < a.y + a.height;
}

/**
 * Plans the windows for regions of a frame: each region, padded by the context margin, becomes a
 * window; windows that overlap are replaced by the window of their regions' union until none
 * overlap (an object across two windows would be cut in both).
 *
 * @param regions boxes in frame pixels
 * @param place where the frame lands in the canvas (`placement()` of the full-frame input)
 * @param canvas the full-frame input size
 * @param options context, alignment, sizes and the full-frame share
 * @returns the windows, or `undefined` when a full frame is the cheaper run (no regions, or
 *   windows over `fullShare` of the canvas)
 * @example
 * ```ts
 * const place = { scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 48 }; // 640x360 in 512x384
 * planCrops([[0, 0, 60, 150]], place, { width: 512, height: 384 });
 * // [{ x: 0, y: 0, width: 128, height: 256 }]
 * ```
 */
export function planCrops(
  regions: readonly Box[],
  place: Placement,
  canvas: { width: number; height: number },
  options: CropPlanOptions = CROP_DEFAULTS,
): CropWindow[] | undefined {
  if (regions.length === 0) return undefined;
  let boxes = regions.map((r) => toCanvas(r, place, canvas, options.context))
    .filter((b) => b[2] > b[0] && b[3] > b[1]);
  if (boxes.length === 0) return undefined;
  let windows = boxes.map((b) => snapWindow(b, canvas, options));
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i < windows.length && !merged; i++) {
      for (let j = i + 1; j < windows.length && !merged; j++) {
        if (!overlaps(windows[i]!, windows[j]!)) continue;
        const a = boxes[i]!, b = boxes[j]!;
        const union: Box = [
          Math.min(a[0], b[0]),
          Math.min(a[1], b[1]),
          Math.max(a[2], b[2]),
          Math.max(a[3], b[3]),
        ];
        boxes = [...boxes.filter((_, k) => k !== i && k !== j), union];
        windows = [
          ...windows.filter((_, k) => k !== i && k !== j),
          snapWindow(union, canvas, options),
        ];
        merged = true;
      }
    }
  }
  const area = windows.reduce((sum, w) => sum + w.width * w.height, 0);
  if (area > options.fullShare * canvas.width * canvas.height) return undefined;
  return windows;
}

/**
 * Where a frame lands in a window's input: the canvas placement shifted by the window's origin,
 * so a box decoded in window pixels maps straight back to frame pixels with `unplaceBox`.
 *
 * @param place the frame's placement in the canvas
 * @param window the window
 * @returns the placement in the window
 * @example
 * ```ts
 * windowPlacement({ scaleX: 0.8, scaleY: 0.8, padX: 0, padY: 48 }, { x: 64, y: 32, width: 128, height: 128 });
 * // { scaleX: 0.8, scaleY: 0.8, padX: -64, padY: 16 }
 * ```
 */
export function windowPlacement(place: Placement, window: CropWindow): Placement {
  return { ...place, padX: place.padX - window.x, padY: place.padY - window.y };
}

/**
 * Groups windows of the same size: each group runs as one batch.
 *
 * @param windows the windows
 * @returns groups keyed by `WxH`, in first-seen order
 * @example
 * ```ts
 * batchesBySize([{ x: 0, y: 0, width: 128, height: 128 }, { x: 256, y: 0, width: 128, height: 128 }]);
 * // one group of two
 * ```
 */
export function batchesBySize(windows: readonly CropWindow[]): CropWindow[][] {
  const groups = new Map<string, CropWindow[]>();
  for (const w of windows) {
    const key = `${w.width}x${w.height}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  return [...groups.values()];
}

/**
 * Joins the detections of a frame's windows: one object seen in two windows (their context
 * margins overlap on the frame) keeps its best box, by class-aware NMS.
 *
 * @param perWindow detections of each window, in frame pixels
 * @param iouThreshold overlap above which the weaker box of a class is dropped
 * @param maxDetections keep at most this many
 * @returns the detections, best score first
 * @example
 * ```ts
 * mergeCropDetections([[person], [samePersonSlightlyShifted]], 0.5, 100); // [person]
 * ```
 */
export function mergeCropDetections(
  perWindow: readonly (readonly Detection[])[],
  iouThreshold: number,
  maxDetections: number,
): Detection[] {
  return nms(perWindow.flat(), iouThreshold, maxDetections);
}
