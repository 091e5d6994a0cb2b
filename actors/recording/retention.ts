/**
 * Recording retention, at start and every minute: each camera's `retainDays`, then the disk guard
 * (`VIGIL_RECORDINGS_MIN_FREE`, `VIGIL_RECORDINGS_MAX_SIZE`: oldest segments of any camera first),
 * then clips past `VIGIL_RECORD_RETENTION_DAYS` (on several boxes, the clips this box compiled), then
 * clip files whose row another box deleted. Segments under a compile or around a kept event are
 * never deleted (models/store/segments.ts). The rules: README "Recording and clips".
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type postgres from "postgres";
import { createLogger } from "../../models/log.ts";
import { bytesToFree, type MinFree, pickOldest } from "../../models/recording/disk_guard.ts";
import {
  recordFile,
  recordingsRoot,
  recordsDir,
  segmentFile,
} from "../../models/recording/paths.ts";
import { isUuid } from "../../models/ids.ts";
import { DEFAULT_RECORDING_SETTINGS } from "../../models/recording/settings.ts";
import {
  camerasWithSegments,
  type Deletable,
  deleteExpired,
  deleteSegments,
  oldestDeletable,
  totalSegmentBytes,
} from "../../models/store/segments.ts";
import { deleteRecordsBefore, existingRecordIds } from "../../models/store/records.ts";
import { removeFile } from "./segment_files.ts";

const DAY_MS = 86_400_000;
/** Rows per delete statement. */
const BATCH = 500;

/** Settings of recordings retention. */
export interface RecordingsRetentionOptions {
  sql: postgres.Sql;
  dataDir: string;
  /**
   * This box: retention expires only the clips it compiled (their files are here). Absent: every
   * clip (a box alone).
   */
  boxId?: string;
  /** Free space to keep on the recordings' file system. */
  minFree?: MinFree;
  /** Most bytes recordings may use. */
  maxSize?: number;
  /** Finished clips are kept this many days (default 30). */
  recordDays?: number;
  /** Between runs (default one minute). */
  intervalMs?: number;
}

/** What one run did. */
export interface RecordingsRetentionResult {
  expired: number;
  guarded: number;
  freedBytes: number;
  records: number;
  /** The guard needed more space than unprotected segments could give. */
  short: boolean;
}

/** The running retention job. */
export interface RecordingsRetention {
  /** Runs once now (waits for a run in progress first). */
  runOnce(): Promise<RecordingsRetentionResult>;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs retention once.
 *
 * @param options database, data dir, limits
 * @param now current time (tests)
 * @returns what was deleted
 */
export async function applyRecordingsRetention(
  options: RecordingsRetentionOptions,
  now = Date.now(),
): Promise<RecordingsRetentionResult> {
  const { sql, dataDir } = options;
  const result: RecordingsRetentionResult = {
    expired: 0,
    guarded: 0,
    freedBytes: 0,
    records: 0,
    short: false,
  };
  const remove = async (deleted: Deletable[]) => {
    for (const segment of deleted) {
      const file = segmentFile(dataDir, segment.path);
      await removeFile(file);
      // An emptied day directory goes too (removing a non-empty one fails, which is fine).
      await Deno.remove(dirname(file)).catch(() => {});
      result.freedBytes += segment.bytes;
    }
  };

  for (const camera of await camerasWithSegments(sql)) {
    const days = camera.retainDays ?? DEFAULT_RECORDING_SETTINGS.retainDays;
    const before = new Date(now - days * DAY_MS);
    for (;;) {
      const deleted = await deleteExpired(sql, camera.id, before, BATCH);
      await remove(deleted);
      result.expired += deleted.length;
      if (deleted.length < BATCH) break;
    }
  }

  if (options.minFree || options.maxSize !== undefined) {
    let need = bytesToFree(await diskState(sql, dataDir), options);
    while (need > 0) {
      const picked = pickOldest(await oldestDeletable(sql, BATCH), need);
      if (picked.length === 0) {
        result.short = true;
        break;
      }
      const deleted = await deleteSegments(sql, picked.map((s) => s.id));
      await remove(deleted);
      result.guarded += deleted.length;
      if (deleted.length === 0) {
        result.short = true;
        break;
      }
      need -= deleted.reduce((sum, s) => sum + s.bytes, 0);
    }
  }

  const recordDays = options.recordDays ?? 30;
  for (
    const id of await deleteRecordsBefore(
      sql,
      new Date(now - recordDays * DAY_MS),
      options.boxId,
    )
  ) {
    await removeFile(recordFile(dataDir, id));
    result.records++;
  }
  result.records += await removeOrphanClips(sql, dataDir);
  return result;
}

/**
 * Removes this box's clip files whose row is gone: on several boxes a clip's row can be deleted
 * by another box (with its camera, or by a request there while this box was down), and only this
 * box can remove the file. A clip being compiled has its row all along (the compiler removes the
 * file itself when the row goes meanwhile).
 */
async function removeOrphanClips(sql: postgres.Sql, dataDir: string): Promise<number> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(recordsDir(dataDir))) {
      const id = /^(.{36})\.mp4$/.exec(entry.name)?.[1];
      if (entry.isFile && id !== undefined && isUuid(id)) ids.push(id.toLowerCase());
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  let removed = 0;
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    const existing = await existingRecordIds(sql, batch);
    for (const id of batch) {
      if (existing.has(id)) continue;
      await removeFile(recordFile(dataDir, id));
      removed++;
    }
  }
  return removed;
}

/**
 * Starts the schedule: a run now, then every `intervalMs`.
 *
 * @param options database, data dir, limits, interval
 * @returns the job
 */
export function startRecordingsRetention(options: RecordingsRetentionOptions): RecordingsRetention {
  const log = createLogger("retention", { of: "recordings" });
  let running: Promise<RecordingsRetentionResult> | undefined;
  let warnedShort = false;
  const run = () => {
    running ??= applyRecordingsRetention(options)
      .then((result) => {
        if (result.expired || result.guarded || result.records) {
          log.info("recordings retention applied", { ...result });
        }
        if (result.short && !warnedShort) {
          log.warn(
            "the disk guard cannot free enough space: what is left is protected by compiles or " +
              "kept events",
          );
        }
        warnedShort = result.short;
        return result;
      })
      .finally(() => running = undefined);
    return running;
  };
  const tick = () =>
    void run().catch((error) => log.warn("recordings retention failed", { error }));
  tick();
  const timer = setInterval(tick, options.intervalMs ?? 60_000);
  return {
    async runOnce() {
      await running?.catch(() => {});
      return await run();
    },
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

async function diskState(sql: postgres.Sql, dataDir: string) {
  const root = recordingsRoot(dataDir);
  await Deno.mkdir(root, { recursive: true });
  const fs = await statfs(root);
  return {
    free: fs.bavail * fs.bsize,
    total: fs.blocks * fs.bsize,
    used: await totalSegmentBytes(sql),
  };
}
