/**
 * The model-agnostic detector interface: every adapter (CenterNet, YOLO) and the shared inference
 * Worker speak it, so the analysis actor never knows which model runs.
 *
 * @module
 */

/** One decoded video frame: rgb24, row-major, `width * height * 3` bytes. */
export interface Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An axis-aligned box in source-frame pixels: top-left and bottom-right corners. */
export type Box = [x1: number, y1: number, x2: number, y2: number]; // source-frame pixels

/** One detected object. `classId` indexes the detector's `labels`. */
export interface Detection {
  label: string;
  classId: number;
  score: number;
  box: Box;
}

/** What one `detect` call asks for. */
export interface DetectOptions {
  /**
   * Labels to decode (within the detector's own class filter); the model's other outputs are never
   * looked at, which is most of the post-processing (CenterNet scans one 128x128 plane per class).
   * Default: every class. Unknown labels are an error.
   */
  classes?: readonly string[];
  /**
   * Where in the frame to look (frame pixels: the motion gate's regions and the tracked objects).
   * An adapter that can, runs the model on crops around them at the full frame's scale (merged,
   * padded, full frame when they cover most of it); others look at the whole frame. Default: the
   * whole frame.
   */
  regions?: readonly Box[];
}

/** Finds objects in frames. `close()` releases the model; `detect` must not be called after. */
export interface Detector {
  readonly name: string;
  readonly labels: readonly string[];
  detect(frame: Frame, options?: DetectOptions): Promise<Detection[]>;
  close(): Promise<void>;
}
