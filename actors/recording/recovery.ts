/**
 * Recovery at start, before a camera's recorder runs: segment files the index lacks after a crash
 * are repaired (cut after their last complete fragment, models/media/mp4_boxes.ts), probed,
 * placed in time by their modification time and indexed — in events mode only when a stored event
 * needs them — or removed. Files moved into a day directory whose row never reached the database
 * are indexed from their name. Why fragments: docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */
import { join } from "node:path";
import type postgres from "postgres";
import { createLogger } from "../../models/log.ts";
import { repairSegment } from "../../models/media/mp4_boxes.ts";
import { probeFileAudio } from "../process/ffprobe.ts";
import { audioMode } from "../../models/media/segment_args.ts";
import {
  cameraRecordingsDir,
  incomingDir,
  parseIncomingName,
  parseSegmentPath,
  recordingsRoot,
} from "../../models/recording/paths.ts";
import { eventTriggers, type RecordingSettings } from "../../models/recording/settings.ts";
import { windowCovers } from "../../models/recording/event_windows.ts";
import { eventsAround } from "../../models/store/event_recording.ts";
import { segmentPathsSince, type SegmentRow } from "../../models/store/segments.ts";
import { checkSegment, indexSegment, removeFile } from "./segment_files.ts";

/** Files written to this recently may still be open (an ffmpeg finishing after a crash). */
export const SETTLE_MS = 3000;
/** Day directories compared with the index. */
const DAYS_CHECKED = 2;

/** What recovery did. */
export interface RecoveryResult {
  indexed: number;
  repaired: number;
  removed: number;
}

/** What recovery needs. */
export interface RecoveryOptions {
  sql: postgres.Sql;
  dataDir: string;
  cameraId: string;
  writer: { push(row: SegmentRow): void };
  /** The camera's stored recording settings (null: never recorded, keep everything). */
  settings: RecordingSettings | null;
  /** Current time (tests). */
  now?: number;
}

/**
 * Recovers a camera's unindexed segment files.
 *
 * @param options database, data dir, camera, writer, settings
 * @returns counts of what was indexed, repaired and removed
 */
export async function recoverSegments(options: RecoveryOptions): Promise<RecoveryResult> {
  const log = createLogger("recovery", { camera: options.cameraId });
  const result: RecoveryResult = { indexed: 0, repaired: 0, removed: 0 };
  const now = options.now ?? Date.now();
  // Dated directories first: what incoming/ then moves there is indexed already.
  await recoverDayDirs(options, now, result);
  await recoverIncoming(options, now, result);
  if (result.indexed + result.repaired + result.removed > 0) {
    log.info("recovered segments after an unclean stop", { ...result });
  }
  return result;
}

async function recoverIncoming(o: RecoveryOptions, now: number, result: RecoveryResult) {
  const dir = incomingDir(o.dataDir, o.cameraId);
  const names = (await list(dir)).filter((name) => {
    const parsed = parseIncomingName(name);
    return parsed !== null && parsed.runStartMs < now;
  }).sort();
  // A crashed server's ffmpeg finishes its segment on its way out (parent-death signal): give
  // files written a moment ago time to settle, and leave alone any that is still growing.
  const seen = new Map<string, number>();
  for (const name of names) {
    const mtime = (await Deno.stat(join(dir, name)).catch(() => null))?.mtime?.getTime();
    if (mtime !== undefined) seen.set(name, mtime);
  }
  const newest = Math.max(0, ...seen.values());
  const wait = o.now === undefined ? SETTLE_MS - (Date.now() - newest) : 0;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  for (const name of names) {
    const file = join(dir, name);
    const info = await Deno.stat(file).catch(() => null);
    if (!info?.mtime || info.mtime.getTime() !== seen.get(name)) continue;
    const plan = await repairSegment(file);
    if (plan.action === "drop") {
      await removeFile(file);
      result.removed++;
      continue;
    }
    if (plan.action === "truncate") result.repaired++;
    const checked = await checkSegment(file);
    if (!checked.ok) {
      await removeFile(file);
      result.removed++;
      continue;
    }
    const endMs = info.mtime.getTime();
    const runStart = parseIncomingName(name)!.runStartMs;
    const startMs = Math.max(runStart, endMs - checked.segment.probe.durationMs);
    if (!(await needed(o, startMs, startMs + checked.segment.probe.durationMs))) {
      await removeFile(file);
      result.removed++;
      continue;
    }
    await index(o, checked.segment, startMs);
    result.indexed++;
  }
}

async function recoverDayDirs(o: RecoveryOptions, now: number, result: RecoveryResult) {
  const cameraDir = cameraRecordingsDir(o.dataDir, o.cameraId);
  const days = (await list(cameraDir)).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort()
    .slice(-DAYS_CHECKED);
  if (days.length === 0) return;
  const known = await segmentPathsSince(o.sql, o.cameraId, new Date(`${days[0]}T00:00:00Z`));
  for (const day of days) {
    for (const name of (await list(join(cameraDir, day))).sort()) {
      const path = `${o.cameraId}/${day}/${name}`;
      const parsed = parseSegmentPath(path);
      if (!parsed || known.has(path)) continue;
      const file = join(recordingsRoot(o.dataDir), path);
      const info = await Deno.stat(file).catch(() => null);
      if (!info?.mtime || now - info.mtime.getTime() < SETTLE_MS) continue;
      const checked = await checkSegment(file);
      if (!checked.ok) {
        await removeFile(file);
        result.removed++;
        continue;
      }
      await index(o, checked.segment, parsed.startMs);
      result.indexed++;
    }
  }
}

async function needed(o: RecoveryOptions, startMs: number, endMs: number): Promise<boolean> {
  const settings = o.settings;
  if (!settings || settings.mode === "continuous") return true;
  const timing = { preRollMs: settings.preRollS * 1000, postRollMs: settings.postRollS * 1000 };
  const events = await eventsAround(
    o.sql,
    o.cameraId,
    new Date(startMs - timing.postRollMs),
    new Date(endMs + timing.preRollMs),
  );
  return events.some((e) =>
    windowCovers(
      { ...e, triggers: eventTriggers(settings, e), related: true },
      { startMs, endMs },
      timing,
    )
  );
}

async function index(
  o: RecoveryOptions,
  segment: Parameters<typeof indexSegment>[1],
  startMs: number,
) {
  const audioCodec = await probeFileAudio(segment.file).catch(() => null);
  await indexSegment(
    {
      dataDir: o.dataDir,
      cameraId: o.cameraId,
      writer: o.writer,
      // The file holds what the crashed run wrote: AAC or MP3 as it was, or nothing.
      audio: audioMode(audioCodec) === "copy" ? "copy" : "none",
      audioCodec,
    },
    segment,
    startMs,
  );
}

async function list(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}
