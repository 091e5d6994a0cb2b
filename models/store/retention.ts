/**
 * Retention, one run: day partitions of detections made ahead and dropped when their whole day
 * is past the limit, older rows deleted in batches. `startRetention` runs it on a schedule.
 *
 * @module
 */
import type postgres from "postgres";
import { ValidationError } from "../errors.ts";
import { removeSnapshots, snapshotsOlderThan } from "./camera_data.ts";

/** Settings of {@linkcode applyRetention}. */
export interface RetentionOptions {
  /** Keep detections this many days (default 7). Whole UTC days are dropped. */
  detectionDays?: number;
  /** Keep events this many days (default 30). */
  eventDays?: number;
  /** Day partitions made ahead of today (default 3). */
  daysAhead?: number;
  /** Current time (for tests). */
  now?: Date;
  /** Rows per delete statement (default 10,000). */
  batch?: number;
  /**
   * Vigil's data dir: the snapshots of deleted events are removed with them, and snapshot files
   * older than the event retention whose event no longer exists are swept. Absent → files are
   * left alone.
   */
  dataDir?: string;
}

/** What one retention run did. */
export interface RetentionResult {
  partitionsCreated: number;
  partitionsDropped: string[];
  /** Old detections deleted from the default partition. */
  detectionsDeleted: number;
  eventsDeleted: number;
  /** Event snapshot files removed (with their events, or orphaned and past the retention). */
  snapshotsRemoved: number;
}

const DAY_MS = 86_400_000;
const PARTITION = /^detections_p(\d{4})(\d{2})(\d{2})$/;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Runs retention once: makes the day partitions of the next days, drops detection partitions
 * whose whole day is older than `detectionDays`, deletes older rows left in the default
 * partition, and deletes events that started more than `eventDays` ago — in batches, so no
 * statement holds locks for long — with their snapshot files when `dataDir` is given. Dropping a
 * partition costs the same for ten rows or ten million and leaves no dead tuples behind.
 *
 * @param sql the database
 * @param options retention settings
 * @returns what was done
 * @throws {ValidationError} on a bad setting
 * @example
 * ```ts
 * await applyRetention(db.sql, { detectionDays: 7, eventDays: 30 });
 * ```
 */
export async function applyRetention(
  sql: postgres.Sql,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const { detectionDays = 7, eventDays = 30, daysAhead = 3, batch = 10_000 } = options;
  for (const [name, value] of Object.entries({ detectionDays, eventDays, daysAhead })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ValidationError(
        `Cannot apply retention as '${name}' must be a positive integer: current value is ${value}`,
        name,
      );
    }
  }
  const now = options.now ?? new Date();
  const [made] = await sql<{ made: number }[]>`
    select vigil_ensure_detection_partitions(${utcDay(now)}::date, ${daysAhead + 1}) as made`;

  const detectionCutoff = new Date(now.getTime() - detectionDays * DAY_MS);
  const children = await sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'detections'::regclass`;
  const dropped: string[] = [];
  for (const { name } of children) {
    const match = PARTITION.exec(name);
    if (!match) continue;
    const dayEnd = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) + DAY_MS;
    if (dayEnd > detectionCutoff.getTime()) continue;
    await sql.unsafe(`drop table if exists ${name}`);
    dropped.push(name);
  }

  let detectionsDeleted = 0;
  for (;;) {
    const result = await sql`
      delete from detections_default where (id, ts) in (
        select id, ts from detections_default where ts < ${detectionCutoff} limit ${batch})`;
    detectionsDeleted += result.count;
    if (result.count < batch) break;
  }

  const eventCutoff = new Date(now.getTime() - eventDays * DAY_MS);
  let eventsDeleted = 0;
  let snapshotsRemoved = 0;
  for (;;) {
    const deleted = await sql<{ camera_id: string; snapshot_path: string | null }[]>`
      delete from events where id in (
        select id from events where started_at < ${eventCutoff} limit ${batch})
      returning camera_id, snapshot_path`;
    eventsDeleted += deleted.length;
    if (options.dataDir !== undefined) {
      snapshotsRemoved += await removeSnapshots(
        options.dataDir,
        deleted.map((row) => ({ cameraId: row.camera_id, snapshot: row.snapshot_path })),
      );
    }
    if (deleted.length < batch) break;
  }
  if (options.dataDir !== undefined) {
    snapshotsRemoved += await sweepSnapshots(sql, options.dataDir, eventCutoff);
  }
  return {
    partitionsCreated: made?.made ?? 0,
    partitionsDropped: dropped.sort(),
    detectionsDeleted,
    eventsDeleted,
    snapshotsRemoved,
  };
}

/**
 * Removes snapshot files older than the event retention whose event no longer exists: what a
 * run that crashed between deleting events and removing their files left behind. Younger files
 * without a row are kept: their event may still be waiting in a writer (or its spill file).
 */
async function sweepSnapshots(sql: postgres.Sql, dataDir: string, before: Date): Promise<number> {
  const files = await snapshotsOlderThan(dataDir, before);
  let removed = 0;
  for (let i = 0; i < files.length; i += 1000) {
    const chunk = files.slice(i, i + 1000);
    const ids = chunk.map((file) => file.eventId);
    const kept = await sql<{ id: string }[]>`select id from events where id = any(${ids}::uuid[])`;
    const alive = new Set(kept.map((row) => row.id));
    for (const file of chunk) {
      if (alive.has(file.eventId)) continue;
      await Deno.remove(file.path).catch(() => {});
      removed++;
    }
  }
  return removed;
}
