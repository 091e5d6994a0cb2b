/**
 * Where recordings and clips live. Every path is built here from ids and timestamps — never from
 * user input — and every stored path is checked against the same patterns before it is used:
 *
 * - `<dataDir>/recordings/<camera>/incoming/<runStartMs>-<n>.mp4`: segments ffmpeg is writing,
 *   or finished but not (yet) indexed (events mode keeps its pre-roll here);
 * - `<dataDir>/recordings/<camera>/<YYYY-MM-DD>/<HHMMSS>-<mmm>.mp4`: indexed segments, named by
 *   their UTC start; the `segments.path` column holds the part after `recordings/`;
 * - `<dataDir>/records/<id>.mp4`: finished clips; `<dataDir>/records/tmp/`: clips being built.
 *
 * @module
 */
import { join } from "node:path";
import { ValidationError } from "../errors.ts";
import { isUuid } from "../ids.ts";

const INCOMING = /^(\d{10,15})-(\d{6})\.mp4$/;
const STORED = /^([0-9a-f-]{36})\/(\d{4}-\d{2}-\d{2})\/(\d{2})(\d{2})(\d{2})-(\d{3})\.mp4$/;

/**
 * The recordings root.
 *
 * @param dataDir Vigil's data dir
 * @returns `<dataDir>/recordings`
 */
export function recordingsRoot(dataDir: string): string {
  return join(dataDir, "recordings");
}

/**
 * A camera's recordings directory.
 *
 * @param dataDir Vigil's data dir
 * @param cameraId the camera's UUID
 * @returns `<dataDir>/recordings/<camera>`
 * @throws {ValidationError} when the id is not a UUID
 */
export function cameraRecordingsDir(dataDir: string, cameraId: string): string {
  if (!isUuid(cameraId)) throw new ValidationError("recording: camera id must be a UUID", "camera");
  return join(recordingsRoot(dataDir), cameraId.toLowerCase());
}

/**
 * Where a camera's segments are written before they are indexed.
 *
 * @param dataDir Vigil's data dir
 * @param cameraId the camera's UUID
 * @returns `<dataDir>/recordings/<camera>/incoming`
 */
export function incomingDir(dataDir: string, cameraId: string): string {
  return join(cameraRecordingsDir(dataDir, cameraId), "incoming");
}

/**
 * The ffmpeg output pattern of one recording run (`%06d` is the segment number).
 *
 * @param dataDir Vigil's data dir
 * @param cameraId the camera's UUID
 * @param runStartMs when the run started (names the run)
 * @returns the pattern
 * @example
 * ```ts
 * incomingPattern("/data", cam, 1764000000000); // "/data/recordings/<cam>/incoming/1764000000000-%06d.mp4"
 * ```
 */
export function incomingPattern(dataDir: string, cameraId: string, runStartMs: number): string {
  return join(incomingDir(dataDir, cameraId), `${Math.trunc(runStartMs)}-%06d.mp4`);
}

/**
 * Reads the name of a file in `incoming/`.
 *
 * @param name a file name
 * @returns the run start and segment number, or null for anything else
 * @example
 * ```ts
 * parseIncomingName("1764000000000-000003.mp4"); // { runStartMs: 1764000000000, index: 3 }
 * ```
 */
export function parseIncomingName(name: string): { runStartMs: number; index: number } | null {
  const m = INCOMING.exec(name);
  if (!m) return null;
  return { runStartMs: Number(m[1]), index: Number(m[2]) };
}

/**
 * The stored (relative) path of a segment starting at `startMs`.
 *
 * @param cameraId the camera's UUID
 * @param startMs the segment's start, ms since the epoch
 * @returns `<camera>/<YYYY-MM-DD>/<HHMMSS>-<mmm>.mp4` (UTC)
 * @example
 * ```ts
 * segmentPath(cam, Date.UTC(2026, 10, 25, 14, 0, 5, 120)); // "<cam>/2026-11-25/140005-120.mp4"
 * ```
 */
export function segmentPath(cameraId: string, startMs: number): string {
  if (!isUuid(cameraId)) throw new ValidationError("recording: camera id must be a UUID", "camera");
  const iso = new Date(Math.trunc(startMs)).toISOString(); // 2026-11-25T14:00:05.120Z
  const day = iso.slice(0, 10);
  const time = `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}-${iso.slice(20, 23)}`;
  return `${cameraId.toLowerCase()}/${day}/${time}.mp4`;
}

/**
 * Reads a stored segment path back.
 *
 * @param path a `segments.path` value
 * @returns camera and start (ms), or null when it is not one of ours
 * @example
 * ```ts
 * parseSegmentPath(`${cam}/2026-11-25/140005-120.mp4`); // { cameraId: cam, startMs: ... }
 * ```
 */
export function parseSegmentPath(path: string): { cameraId: string; startMs: number } | null {
  const m = STORED.exec(path);
  if (!m || !isUuid(m[1])) return null;
  const startMs = Date.parse(`${m[2]}T${m[3]}:${m[4]}:${m[5]}.${m[6]}Z`);
  return Number.isNaN(startMs) ? null : { cameraId: m[1]!, startMs };
}

/**
 * The absolute file of a stored segment path, refusing anything that is not one of ours.
 *
 * @param dataDir Vigil's data dir
 * @param path a `segments.path` value
 * @returns the absolute path
 * @throws {ValidationError} when the stored path is not a segment path
 */
export function segmentFile(dataDir: string, path: string): string {
  if (!parseSegmentPath(path)) {
    throw new ValidationError(`recording: ${JSON.stringify(path)} is not a segment path`, "path");
  }
  return join(recordingsRoot(dataDir), path);
}

/**
 * The clips directory.
 *
 * @param dataDir Vigil's data dir
 * @returns `<dataDir>/records`
 */
export function recordsDir(dataDir: string): string {
  return join(dataDir, "records");
}

/**
 * The finished file of a clip.
 *
 * @param dataDir Vigil's data dir
 * @param recordId the clip's UUID
 * @returns `<dataDir>/records/<id>.mp4`
 */
export function recordFile(dataDir: string, recordId: string): string {
  if (!isUuid(recordId)) throw new ValidationError("record id must be a UUID", "id");
  return join(recordsDir(dataDir), `${recordId.toLowerCase()}.mp4`);
}

/**
 * Where a clip is built (its concat list, subtitles and partial MP4).
 *
 * @param dataDir Vigil's data dir
 * @returns `<dataDir>/records/tmp`
 */
export function recordsTmpDir(dataDir: string): string {
  return join(recordsDir(dataDir), "tmp");
}
