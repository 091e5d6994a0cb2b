/**
 * Pre-processing: rgb24 frames into the float tensors detectors take. Bilinear sampling with
 * half-pixel centres (what ffmpeg and OpenCV do), with the per-axis source indices and weights
 * computed once per row/column rather than per pixel.
 *
 * @module
 */
import { clipBox } from "./box.ts";
import type { Box, Frame } from "./types.ts";

/** Per-axis bilinear sampling table: output i reads source i0[i] and i1[i] with weight w[i] on i1. */
interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

function axisTable(srcLen: number, dstLen: number): AxisTable {
  const i0 = new Int32Array(dstLen);
  const i1 = new Int32Array(dstLen);
  const w = new Float32Array(dstLen);
  const ratio = srcLen / dstLen;
  for (let i = 0; i < dstLen; i++) {
    const s = Math.min(Math.max((i + 0.5) * ratio - 0.5, 0), srcLen - 1);
    const lo = Math.floor(s);
    i0[i] = lo;
    i1[i] = Math.min(lo + 1, srcLen - 1);
    w[i] = s - lo;
  }
  return { i0, i1, w };
}

/**
 * Checks that a frame's buffer holds exactly `width * height * 3` bytes.
 *
 * @param frame the frame
 * @returns a message naming the problem, or `undefined` if the frame is well-formed
 * @example
 * ```ts
 * frameProblem({ width: 2, height: 2, data: new Uint8Array(12) }); // undefined
 * ```
 */
export function frameProblem(frame: Frame): string | undefined {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return `frame size must be positive integers: current value is ${width}x${height}`;
  }
  if (data.length !== width * height * 3) {
    return `an rgb24 ${width}x${height} frame needs ${
      width * height * 3
    } bytes: it has ${data.length}`;
  }
  return undefined;
}

/**
 * Bilinear-resizes `frame` to `dstW` x `dstH` and writes each pixel through `put`.
 * Kept generic over the output layout so both tensors share one sampler.
 */
function resample(
  frame: Frame,
  dstW: number,
  dstH: number,
  put: (x: number, y: number, r: number, g: number, b: number) => void,
): void {
  const xs = axisTable(frame.width, dstW);
  const ys = axisTable(frame.height, dstH);
  const src = frame.data;
  const stride = frame.width * 3;
  for (let y = 0; y < dstH; y++) {
    const row0 = ys.i0[y]! * stride;
    const row1 = ys.i1[y]! * stride;
    const wy = ys.w[y]!;
    for (let x = 0; x < dstW; x++) {
      const c0 = xs.i0[x]! * 3;
      const c1 = xs.i1[x]! * 3;
      const wx = xs.w[x]!;
      const a = (1 - wx) * (1 - wy), b = wx * (1 - wy), c = (1 - wx) * wy, d = wx * wy;
      put(
        x,
        y,
        a * src[row0 + c0]! + b * src[row0 + c1]! + c * src[row1 + c0]! + d * src[row1 + c1]!,
        a * src[row0 + c0 + 1]! + b * src[row0 + c1 + 1]! + c * src[row1 + c0 + 1]! +
          d * src[row1 + c1 + 1]!,
        a * src[row0 + c0 + 2]! + b * src[row0 + c1 + 2]! + c * src[row1 + c0 + 2]! +
          d * src[row1 + c1 + 2]!,
      );
    }
  }
}

/** How a model wants its input tensor. */
export interface TensorSpec {
  width: number;
  height: number;
  /** `nhwc` (TensorFlow models) or `nchw` (PyTorch exports). */
  layout: "nhwc" | "nchw";
  /** `letterbox` keeps the aspect ratio and pads with grey; `stretch` fills the input. */
  fit: "letterbox" | "stretch";
  /** Value of a white pixel: 255 for raw RGB, 1 for RGB scaled to 0..1. */
  range: number;
}

/** Where the frame lands in the input: `input = source * scale + pad`, per axis. */
export interface Placement {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

/** Grey used for letterbox padding, as in Ultralytics' `LetterBox`. */
export const PAD_GREY = 114;

/**
 * Computes where a `srcW` x `srcH` frame lands in a model input. Letterbox scales to fit and
 * centres (Ultralytics' `LetterBox(auto=False)`); stretch scales each axis to fill.
 *
 * @param srcW frame width
 * @param srcH frame height
 * @param spec the input
 * @returns the placement and the size of the resized image inside the input
 * @example
 * ```ts
 * placement(1280, 720, { width: 640, height: 640, layout: "nchw", fit: "letterbox", range: 1 });
 * // { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140, width: 640, height: 360 }
 * ```
 */
export function placement(
  srcW: number,
  srcH: number,
  spec: TensorSpec,
): Placement & { width: number; height: number } {
  if (spec.fit === "stretch") {
    return {
      scaleX: spec.width / srcW,
      scaleY: spec.height / srcH,
      padX: 0,
      padY: 0,
      width: spec.width,
      height: spec.height,
    };
  }
  const scale = Math.min(spec.width / srcW, spec.height / srcH);
  const width = Math.max(1, Math.min(spec.width, Math.round(srcW * scale)));
  const height = Math.max(1, Math.min(spec.height, Math.round(srcH * scale)));
  return {
    scaleX: scale,
    scaleY: scale,
    padX: Math.floor((spec.width - width) / 2),
    padY: Math.floor((spec.height - height) / 2),
    width,
    height,
  };
}

/**
 * Resizes an rgb24 frame into a model's float input tensor (batch 1).
 *
 * @param frame rgb24 frame
 * @param spec size, layout, fit and value range of the input
 * @returns the tensor data and where the frame landed in it (to map boxes back)
 * @example
 * ```ts
 * const one = { width: 1, height: 1, data: new Uint8Array([10, 20, 30]) };
 * frameToTensor(one, { width: 2, height: 1, layout: "nhwc", fit: "stretch", range: 255 }).data;
 * // [10, 20, 30, 10, 20, 30]
 * ```
 */
export function frameToTensor(
  frame: Frame,
  spec: TensorSpec,
): { data: Float32Array; placement: Placement } {
  const place = placement(frame.width, frame.height, spec);
  const { width, height } = spec;
  const plane = width * height;
  const k = spec.range / 255;
  const data = new Float32Array(plane * 3);
  if (place.width < width || place.height < height) data.fill(PAD_GREY * k);
  const nhwc = spec.layout === "nhwc";
  resample(frame, place.width, place.height, (x, y, r, g, b) => {
    const i = (y + place.padY) * width + x + place.padX;
    if (nhwc) {
      data[3 * i] = r * k;
      data[3 * i + 1] = g * k;
      data[3 * i + 2] = b * k;
    } else {
      data[i] = r * k;
      data[plane + i] = g * k;
      data[2 * plane + i] = b * k;
    }
  });
  const { scaleX, scaleY, padX, padY } = place;
  return { data, placement: { scaleX, scaleY, padX, padY } };
}

/**
 * Maps a box from model-input pixels back to source-frame pixels and clips it to the frame.
 *
 * @param box box in input pixels
 * @param place where the frame landed in the input
 * @param frameWidth source width
 * @param frameHeight source height
 * @returns the box in source pixels
 * @example
 * ```ts
 * unplaceBox([0, 140, 640, 500], { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 }, 1280, 720);
 * // [0, 0, 1280, 720]
 * ```
 */
export function unplaceBox(
  box: Box,
  place: Placement,
  frameWidth: number,
  frameHeight: number,
): Box {
  return clipBox(
    [
      (box[0] - place.padX) / place.scaleX,
      (box[1] - place.padY) / place.scaleY,
      (box[2] - place.padX) / place.scaleX,
      (box[3] - place.padY) / place.scaleY,
    ],
    frameWidth,
    frameHeight,
  );
}

/** A window of a model input, in input pixels (crops.ts). */
export interface InputWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The tensor of several windows of the input a whole frame would be fitted into, as one batch
 * (all windows the same size): each window holds exactly the pixels the full input has there
 * (same sampling tables, grey outside the frame), so a crop runs at the full frame's scale.
 *
 * @param frame rgb24 frame
 * @param spec the full-frame input (its size, fit, layout and range)
 * @param windows windows of that input, all of one size
 * @returns `[n, h, w, 3]` (nhwc) or `[n, 3, h, w]` (nchw) data and the frame's placement in the
 *   full input
 * @throws {RangeError} if the windows differ in size or leave the input
 * @example
 * ```ts
 * const spec = { width: 512, height: 384, layout: "nhwc", fit: "letterbox", range: 255 } as const;
 * windowsToTensor(frame, spec, [{ x: 0, y: 0, width: 128, height: 128 }]).data.length; // 128*128*3
 * ```
 */
export function windowsToTensor(
  frame: Frame,
  spec: TensorSpec,
  windows: readonly InputWindow[],
): { data: Float32Array; placement: Placement } {
  const place = placement(frame.width, frame.height, spec);
  const first = windows[0];
  const w = first?.width ?? 0;
  const h = first?.height ?? 0;
  for (const win of windows) {
    if (win.width !== w || win.height !== h) {
      throw new RangeError("preprocess: a batch of windows must share one size");
    }
    if (win.x < 0 || win.y < 0 || win.x + w > spec.width || win.y + h > spec.height) {
      throw new RangeError(
        `preprocess: window ${w}x${h}+${win.x}+${win.y} leaves the ${spec.width}x${spec.height} input`,
      );
    }
  }
  const xs = axisTable(frame.width, place.width);
  const ys = axisTable(frame.height, place.height);
  const k = spec.range / 255;
  const plane = w * h;
  const data = new Float32Array(windows.length * plane * 3).fill(PAD_GREY * k);
  const src = frame.data;
  const stride = frame.width * 3;
  const nhwc = spec.layout === "nhwc";
  windows.forEach((win, n) => {
    const base = n * plane * 3;
    for (let y = 0; y < h; y++) {
      const fy = win.y + y - place.padY;
      if (fy < 0 || fy >= place.height) continue;
      const row0 = ys.i0[fy]! * stride;
      const row1 = ys.i1[fy]! * stride;
      const wy = ys.w[fy]!;
      for (let x = 0; x < w; x++) {
        const fx = win.x + x - place.padX;
        if (fx < 0 || fx >= place.width) continue;
        const c0 = xs.i0[fx]! * 3;
        const c1 = xs.i1[fx]! * 3;
        const wx = xs.w[fx]!;
        const a = (1 - wx) * (1 - wy), b = wx * (1 - wy), c = (1 - wx) * wy, d = wx * wy;
        const i = y * w + x;
        for (let ch = 0; ch < 3; ch++) {
          const v = a * src[row0 + c0 + ch]! + b * src[row0 + c1 + ch]! +
            c * src[row1 + c0 + ch]! + d * src[row1 + c1 + ch]!;
          data[nhwc ? base + 3 * i + ch : base + ch * plane + i] = v * k;
        }
      }
    }
  });
  const { scaleX, scaleY, padX, padY } = place;
  return { data, placement: { scaleX, scaleY, padX, padY } };
}
