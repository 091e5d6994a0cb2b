/**
 * Detections as the writer persists them: the row type, its check (rows pushed by the analysis
 * or read back from a spill file) and its table spec. Queries are in detection_queries.ts,
 * retention in retention.ts.
 *
 * A detection's box is normalized to 0..1 of the analysed frame: `[x1, y1, x2, y2]`, top-left and
 * bottom-right corners. `ts` is milliseconds since the epoch (JSON-safe, for spill files).
 *
 * @module
 */
import type { TableSpec } from "./table_spec.ts";
import { ValidationError } from "../errors.ts";
import { isUuid, uuidv7 } from "../ids.ts";
import { LABEL_PATTERN } from "../detectors/labels.ts";

/** One detected object in one frame, as written (and spilled). */
export interface DetectionRow {
  /** UUIDv7 made by the producer: makes a retried batch idempotent and orders ties. */
  id: string;
  cameraId: string;
  /** Frame time, ms since the epoch (stored to the millisecond). */
  ts: number;
  /** Frame number within the capture session. */
  frame: number;
  /** Tracker id (a UUID), when the object is tracked. */
  trackId: string | null;
  /** Class label (`"person"`, `"car"`...). */
  label: string;
  /** Confidence 0..1. */
  score: number;
  /** `[x1, y1, x2, y2]` normalized to 0..1. */
  box: [number, number, number, number];
}

const LABEL = LABEL_PATTERN;
function fail(message: string, field: string): never {
  throw new ValidationError(`detection: ${message}`, field);
}

function finite(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    fail(`${field} must be a number from ${min} to ${max}`, field);
  }
  return value;
}

/**
 * Checks a detection row (pushed by the analysis, or read back from a spill file).
 *
 * @param value anything
 * @returns the row, typed
 * @throws {ValidationError} naming the bad field
 * @example
 * ```ts
 * parseDetection(JSON.parse(line)); // DetectionRow
 * ```
 */
export function parseDetection(value: unknown): DetectionRow {
  if (typeof value !== "object" || value === null) fail("a row must be an object", "row");
  const row = value as Record<string, unknown>;
  const { id, cameraId, ts, frame, trackId, label, score, box } = row;
  if (!isUuid(id)) fail("id must be a UUID", "id");
  if (!isUuid(cameraId)) fail("cameraId must be a UUID", "cameraId");
  finite(ts, "ts", 0, 8.64e15);
  if (!Number.isSafeInteger(frame) || (frame as number) < 0) fail("frame must be ≥ 0", "frame");
  if (trackId !== null && !isUuid(trackId)) fail("trackId must be a UUID or null", "trackId");
  if (typeof label !== "string" || !LABEL.test(label)) fail("label must match " + LABEL, "label");
  finite(score, "score", 0, 1);
  if (!Array.isArray(box) || box.length !== 4) fail("box must be [x1, y1, x2, y2]", "box");
  for (const [i, v] of box.entries()) finite(v, `box.${i}`, 0, 1);
  return {
    id,
    cameraId,
    ts: ts as number,
    frame: frame as number,
    trackId: trackId as string | null,
    label,
    score: score as number,
    box: box as [number, number, number, number],
  };
}

/**
 * Makes a detection row with a fresh UUIDv7 id.
 *
 * @param fields everything but the id
 * @returns the row
 */
export function newDetection(fields: Omit<DetectionRow, "id">): DetectionRow {
  return { id: uuidv7(Math.floor(fields.ts)), ...fields };
}

/** How detection rows go into the `detections` table (see models/store/table_spec.ts). */
export const DETECTIONS: TableSpec<DetectionRow> = {
  table: "detections",
  columns: [
    { name: "id", type: "uuid", value: (r) => r.id },
    { name: "camera_id", type: "uuid", value: (r) => r.cameraId },
    { name: "ts", type: "timestamptz", value: (r) => new Date(r.ts).toISOString() },
    { name: "frame", type: "int8", value: (r) => r.frame },
    { name: "track_id", type: "uuid", value: (r) => r.trackId },
    { name: "label", type: "text", value: (r) => r.label },
    { name: "score", type: "float4", value: (r) => r.score },
    { name: "x1", type: "float4", value: (r) => r.box[0] },
    { name: "y1", type: "float4", value: (r) => r.box[1] },
    { name: "x2", type: "float4", value: (r) => r.box[2] },
    { name: "y2", type: "float4", value: (r) => r.box[3] },
  ],
  // The primary key includes the partition key, which PostgreSQL requires; a retried row has the
  // same ts, so it lands in the same partition and conflicts there.
  onConflict: "(id, ts) do nothing",
  insertOnly: true,
  parse: parseDetection,
};
