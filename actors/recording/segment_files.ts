/**
 * What happens to a finished segment file: it is checked (size, ffprobe duration, a video stream,
 * a keyframe first) and then indexed — moved from `incoming/` to its dated path and pushed to the
 * camera's segments writer — or removed. Shared by the recorder and the recovery at start.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { uuidv7 } from "../../models/ids.ts";
import { probeFile } from "../process/ffprobe.ts";
import type { FileProbe } from "../../models/media/probe_output.ts";
import type { AudioMode } from "../../models/media/segment_args.ts";
import { recordingsRoot, segmentPath } from "../../models/recording/paths.ts";
import type { SegmentRow } from "../../models/store/segments.ts";

/** A segment shorter than this is noise (a run that ended at once), not evidence. */
export const MIN_SEGMENT_MS = 100;

/** A checked segment file. */
export interface CheckedSegment {
  /** Absolute path (in `incoming/` until indexed). */
  file: string;
  bytes: number;
  probe: FileProbe;
}

/**
 * Checks a finished segment file.
 *
 * @param file absolute path
 * @returns the file's numbers, or why it cannot be kept
 */
export async function checkSegment(
  file: string,
): Promise<{ ok: true; segment: CheckedSegment } | { ok: false; reason: string }> {
  let bytes: number;
  try {
    bytes = (await Deno.stat(file)).size;
  } catch {
    return { ok: false, reason: "the file is missing" };
  }
  if (bytes === 0) return { ok: false, reason: "the file is empty" };
  let probe: FileProbe;
  try {
    probe = await probeFile(file);
  } catch (error) {
    return { ok: false, reason: `ffprobe cannot read it: ${(error as Error).message}` };
  }
  if (!probe.video) return { ok: false, reason: "it holds no video stream" };
  if (probe.durationMs < MIN_SEGMENT_MS) {
    return { ok: false, reason: `it lasts ${probe.durationMs} ms` };
  }
  if (!probe.startsWithKeyframe) return { ok: false, reason: "it does not start on a keyframe" };
  return { ok: true, segment: { file, bytes, probe } };
}

/** Where an indexed segment goes and what its row says besides the file. */
export interface IndexTarget {
  dataDir: string;
  cameraId: string;
  writer: { push(row: SegmentRow): void };
  audio: AudioMode;
  audioCodec: string | null;
}

/**
 * Moves a checked segment to its dated path and pushes its row. A start that names an existing
 * file (it cannot happen within a run; a recovered file may meet one) moves by a millisecond.
 *
 * @param target data dir, camera, writer, audio handling
 * @param segment the checked file
 * @param startMs its start, ms since the epoch
 * @returns the row pushed
 */
export async function indexSegment(
  target: IndexTarget,
  segment: CheckedSegment,
  startMs: number,
): Promise<SegmentRow> {
  const root = recordingsRoot(target.dataDir);
  let start = Math.round(startMs);
  let path = segmentPath(target.cameraId, start);
  // A file recovered in place is already where its start says.
  while (join(root, path) !== segment.file && await exists(join(root, path))) {
    start++;
    path = segmentPath(target.cameraId, start);
  }
  const file = join(root, path);
  if (file !== segment.file) {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.rename(segment.file, file);
  }
  const row: SegmentRow = {
    id: uuidv7(start),
    cameraId: target.cameraId,
    path,
    startedAt: start,
    endedAt: start + segment.probe.durationMs,
    bytes: segment.bytes,
    durationMs: segment.probe.durationMs,
    codec: segment.probe.video?.codec ?? null,
    width: segment.probe.video?.width ?? null,
    height: segment.probe.video?.height ?? null,
    audio: target.audio,
    audioCodec: target.audioCodec,
  };
  target.writer.push(row);
  return row;
}

/**
 * Removes a file that will not be indexed; a file already gone is fine.
 *
 * @param file absolute path
 */
export async function removeFile(file: string): Promise<void> {
  try {
    await Deno.remove(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
