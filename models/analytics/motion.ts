/**
 * The motion gate: a cheap test of whether a frame is worth running the detector on. The frame,
 * shrunk to a small gray image (64x36 by default), is compared with the frame the detector last
 * ran on — not the previous one, so slow motion accumulates until it counts — and moves when
 * enough cells changed past a threshold; the changed cells, grouped into boxes, say where. Masked areas never count; a keep-alive rate still runs
 * the detector on a still scene, so a parked car keeps its track.
 *
 * @module
 */
import type { Box, Frame } from "../detectors/types.ts";
import { type Point, pointInPolygon, type Polygon } from "./geometry.ts";
import { cellBoxes, cellsToFrame } from "./motion_regions.ts";

/** A small 8-bit gray image, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The outcome of comparing two gray images. */
export interface MotionResult {
  /** Fraction (0..1) of unmasked cells whose gray value changed by more than the threshold. */
  score: number;
  /** `score >= minMotion`. */
  moving: boolean;
}

/** How to compare two gray images. */
export interface MotionRule {
  /** Per-cell gray difference (of 255) that counts as change. */
  threshold: number;
  /** Fraction of unmasked cells that must change; 0 makes every frame "moving". */
  minMotion: number;
  /** Cells to ignore (1 = masked), as made by {@link maskCells}; same size as the images. */
  excluded?: Uint8Array;
}

/** Grid size of the downscaled image: 64x36 keeps 16:9 and still sees a person at 20 m. */
export const GATE_WIDTH = 64;
/** See {@link GATE_WIDTH}. */
export const GATE_HEIGHT = 36;

/**
 * Shrinks an rgb24 frame to a small gray image by averaging the pixels of each cell (a box
 * filter, which also averages away compression noise). Large cells are sampled on a sparse grid
 * (at least 4x4 samples per cell) to keep the cost low at high resolutions.
 *
 * @param frame the rgb24 frame
 * @param width output width
 * @param height output height
 * @returns the gray image (BT.601 luma)
 * @example
 * ```ts
 * const gray = downscaleGray({ width: 640, height: 360, data: rgb }, 64, 36); // 64x36
 * ```
 */
export function downscaleGray(
  frame: Frame,
  width: number = GATE_WIDTH,
  height: number = GATE_HEIGHT,
): GrayImage {
  const cellX = new Int32Array(frame.width);
  const cellY = new Int32Array(frame.height);
  for (let x = 0; x < frame.width; x++) {
    cellX[x] = Math.min(width - 1, Math.floor((x * width) / frame.width));
  }
  for (let y = 0; y < frame.height; y++) {
    cellY[y] = Math.min(height - 1, Math.floor((y * height) / frame.height));
  }
  const step = Math.max(
    1,
    Math.floor(Math.min(frame.width / width, frame.height / height) / 4),
  );
  const sums = new Uint32Array(width * height);
  const counts = new Uint32Array(width * height);
  const src = frame.data;
  for (let y = 0; y < frame.height; y += step) {
    const rowCell = cellY[y]! * width;
    const rowStart = y * frame.width * 3;
    for (let x = 0; x < frame.width; x += step) {
      const i = rowStart + x * 3;
      // BT.601 luma in integer arithmetic: (77 R + 150 G + 29 B) / 256.
      const luma = (77 * src[i]! + 150 * src[i + 1]! + 29 * src[i + 2]!) >> 8;
      const cell = rowCell + cellX[x]!;
      sums[cell]! += luma;
      counts[cell]! += 1;
    }
  }
  const data = new Uint8Array(width * height);
  for (let c = 0; c < data.length; c++) {
    const n = counts[c]!;
    data[c] = n === 0 ? 0 : Math.round(sums[c]! / n);
  }
  return { width, height, data };
}

/**
 * Marks the cells whose centre lies inside any mask polygon.
 *
 * @param masks polygons in normalized 0..1 frame coordinates
 * @param width grid width
 * @param height grid height
 * @returns `width * height` cells, 1 = masked
 * @example
 * ```ts
 * maskCells([[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]], 64, 36); // left half is 1
 * ```
 */
export function maskCells(
  masks: readonly Polygon[],
  width: number = GATE_WIDTH,
  height: number = GATE_HEIGHT,
): Uint8Array {
  const cells = new Uint8Array(width * height);
  if (masks.length === 0) return cells;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const centre: Point = [(x + 0.5) / width, (y + 0.5) / height];
      if (masks.some((mask) => pointInPolygon(centre, mask))) cells[y * width + x] = 1;
    }
  }
  return cells;
}

/**
 * Compares two gray images of the same size.
 *
 * @param previous the reference image
 * @param current the new image
 * @param rule threshold, the fraction that counts as moving, and masked cells
 * @param changed if given (`width * height` cells), set to 1 where a cell changed, 0 elsewhere
 * @returns the changed fraction of unmasked cells and whether it is motion; a fully masked
 *   image scores 0
 * @throws {RangeError} if the images differ in size
 * @example
 * ```ts
 * compareGray(a, b, { threshold: 15, minMotion: 0.002 }); // { score: 0.01, moving: true }
 * ```
 */
export function compareGray(
  previous: GrayImage,
  current: GrayImage,
  rule: MotionRule,
  changed?: Uint8Array,
): MotionResult {
  if (previous.width !== current.width || previous.height !== current.height) {
    throw new RangeError(
      `motion: cannot compare a ${previous.width}x${previous.height} image with a ` +
        `${current.width}x${current.height} one`,
    );
  }
  const excluded = rule.excluded;
  let considered = 0;
  let count = 0;
  changed?.fill(0);
  for (let c = 0; c < current.data.length; c++) {
    if (excluded && excluded[c] === 1) continue;
    considered++;
    if (Math.abs(current.data[c]! - previous.data[c]!) > rule.threshold) {
      count++;
      if (changed) changed[c] = 1;
    }
  }
  const score = considered === 0 ? 0 : count / considered;
  return { score, moving: score >= rule.minMotion };
}

/** Options of {@link createMotionGate}. */
export interface MotionGateOptions {
  /** Per-cell gray difference (of 255) that counts as change (settings `rules.motionThreshold`). */
  threshold: number;
  /** Changed fraction that runs the detector; 0 runs it on every frame (`rules.minMotion`). */
  minMotion: number;
  /** Minimum detector rate on a still scene; 0 disables keep-alive (`rules.keepAliveFps`). */
  keepAliveFps: number;
  /**
   * The keep-alive rate on a settled scene — nothing tracked waits on a run (settled_scene.ts;
   * `rules.idleKeepAliveFps`); default `keepAliveFps`, never above it. Motion against the last
   * detected frame accumulates, so what arrives slowly still runs the detector; on a still scene
   * this run only re-confirms what the last one saw.
   */
  idleKeepAliveFps?: number;
  /** Mask polygons, normalized; changes inside them are ignored. */
  masks?: readonly Polygon[];
  /** Grid width (default {@link GATE_WIDTH}). */
  gridWidth?: number;
  /** Grid height (default {@link GATE_HEIGHT}). */
  gridHeight?: number;
}

/** Why the gate decided what it did. */
export type GateReason = "motion" | "keepalive" | "skip";

/** One decision of the gate. */
export interface GateDecision {
  runDetector: boolean;
  /** `motion` (changed enough), `keepalive` (first frame, or still scene due for a run), `skip`. */
  reason: GateReason;
  /** The motion score against the last detected frame (0 when there is none yet). */
  score: number;
  /**
   * Where the frame changed against the last detected frame, in frame pixels: the changed cells
   * grouped into boxes (motion_regions.ts). Empty unless `reason` is `motion`.
   */
  regions: Box[];
}

/** Counters since the gate was made. */
export interface GateStats {
  checked: number;
  run: number;
  skipped: number;
  /** `skipped / checked`, 0 before the first frame: the share of detector work saved. */
  skipRatio: number;
}

/** A motion gate for one camera; see {@link createMotionGate}. */
export interface MotionGate {
  /**
   * Decides whether to run the detector on this frame. A "run" decision makes this frame the new
   * reference, so call it only for frames that will really be detected when it says so.
   *
   * @param frame the camera's latest frame (rgb24)
   * @param now its time, ms
   * @param settled the scene is settled (settled_scene.ts): the idle keep-alive rate applies
   */
  check(frame: Frame, now: number, settled?: boolean): GateDecision;
  /** Counters for the skip ratio. */
  stats(): GateStats;
}

/**
 * Makes a motion gate. It keeps the gray image of the last frame it let through and the time of
 * that run; nothing else (no frames, no timers).
 *
 * @param options thresholds, keep-alive rate and masks
 * @returns the gate
 * @throws {RangeError} if an option is out of range
 * @example
 * ```ts
 * const gate = createMotionGate({ threshold: 15, minMotion: 0.002, keepAliveFps: 1 });
 * if (gate.check(frame, Date.now()).runDetector) await detector.detect(frame);
 * gate.stats().skipRatio; // 0.8 on a quiet street
 * ```
 */
export function createMotionGate(options: MotionGateOptions): MotionGate {
  const width = options.gridWidth ?? GATE_WIDTH;
  const height = options.gridHeight ?? GATE_HEIGHT;
  checkOption("threshold", options.threshold, 0, 255);
  checkOption("minMotion", options.minMotion, 0, 1);
  checkOption("keepAliveFps", options.keepAliveFps, 0, 1000);
  const idleFps = Math.min(options.idleKeepAliveFps ?? options.keepAliveFps, options.keepAliveFps);
  checkOption("idleKeepAliveFps", idleFps, 0, 1000);
  checkOption("gridWidth", width, 1, 1024);
  checkOption("gridHeight", height, 1, 1024);
  const rule: MotionRule = {
    threshold: options.threshold,
    minMotion: options.minMotion,
    excluded: maskCells(options.masks ?? [], width, height),
  };
  const keepAliveMs = options.keepAliveFps > 0 ? 1000 / options.keepAliveFps : Infinity;
  const idleKeepAliveMs = idleFps > 0 ? 1000 / idleFps : Infinity;
  let reference: GrayImage | undefined;
  let referenceSize = "";
  let lastRun = -Infinity;
  let checked = 0;
  let run = 0;
  const changed = new Uint8Array(width * height);

  const decide = (
    reason: GateReason,
    score: number,
    gray: GrayImage,
    size: string,
    now: number,
    regions: Box[] = [],
  ) => {
    if (reason !== "skip") {
      reference = gray;
      referenceSize = size;
      lastRun = now;
      run++;
    }
    return { runDetector: reason !== "skip", reason, score, regions };
  };

  return {
    check(frame, now, settled = false) {
      checked++;
      const gray = downscaleGray(frame, width, height);
      const size = `${frame.width}x${frame.height}`;
      // A new resolution (the camera's profile changed) has no comparable reference.
      if (!reference || referenceSize !== size) return decide("keepalive", 0, gray, size, now);
      const { score, moving } = compareGray(reference, gray, rule, changed);
      if (moving) {
        const cells = cellsToFrame(
          cellBoxes(changed, width, height),
          width,
          height,
          frame.width,
          frame.height,
        );
        return decide("motion", score, gray, size, now, cells);
      }
      if (now - lastRun >= (settled ? idleKeepAliveMs : keepAliveMs)) {
        return decide("keepalive", score, gray, size, now);
      }
      return decide("skip", score, gray, size, now);
    },
    stats() {
      const skipped = checked - run;
      return { checked, run, skipped, skipRatio: checked === 0 ? 0 : skipped / checked };
    },
  };
}

function checkOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `motion: cannot make a gate as '${name}' must be from ${min} to ${max}: current value is ${value}`,
    );
  }
}
