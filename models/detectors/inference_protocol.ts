/**
 * Messages between the shared detector (main thread) and the inference Worker. Frames travel as
 * transferred ArrayBuffers (zero copy); detections come back as plain objects.
 *
 * @module
 */
import type { DetectorConfig } from "./detector_config.ts";
import type { Box, Detection } from "./types.ts";

/** Main thread → Worker. */
export type ToWorker =
  | { type: "open"; config: DetectorConfig }
  | {
    type: "detect";
    id: number;
    width: number;
    height: number;
    buffer: ArrayBuffer;
    /** Labels to decode; all when absent. */
    classes?: string[];
    /** Where to look, frame pixels; the whole frame when absent (`DetectOptions.regions`). */
    regions?: Box[];
  }
  | { type: "close" };

/** Worker → main thread. */
export type FromWorker =
  | { type: "ready"; name: string; labels: string[] }
  | { type: "open_failed"; error: WireError }
  | { type: "result"; id: number; detections: Detection[]; inferenceMs: number }
  | { type: "detect_failed"; id: number; error: WireError }
  | { type: "closed" };

/** An error flattened for postMessage, rebuilt as a `DetectorError`/`ValidationError` on arrival. */
export interface WireError {
  name: string;
  code: string;
  message: string;
  field?: string;
}
