/**
 * compileRecord jobs in the `records` table: created queued, claimed one at a time by the
 * compiler (`for update skip locked`, so two boxes on one database never run the same job), put
 * back in the queue when the server restarts mid-job, finished with the clip's size, duration,
 * gaps and SHA-256, or failed with a reason.
 *
 * @module
 */
import type postgres from "postgres";
import { NotFoundError } from "../errors.ts";
import type { Interval } from "../recording/timeline.ts";
import { cutPage, fetchSize, type Page } from "./pager.ts";

/** A part of a clip's range recorded by a box that could not be reached at compile time. */
export interface MissingPart extends Interval {
  /** The box that recorded it (null: this box, whose file is gone). */
  box: string | null;
  /** What went wrong (connection refused, timeout, 404, ...). */
  reason: string;
}

/** A job's state. */
export type RecordStatus = "queued" | "running" | "done" | "failed";

/** A job as stored. */
export interface RecordRow {
  id: string;
  cameraId: string;
  eventId: string | null;
  from: Date;
  to: Date;
  annotated: boolean;
  status: RecordStatus;
  progress: number;
  durationMs: number | null;
  bytes: number | null;
  sha256: string | null;
  gaps: Interval[];
  /** Parts recorded by a box that could not be reached at compile time (left out). */
  missing: MissingPart[];
  /** The box that compiled it (its file lives there); null on a box alone or before. */
  boxId: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A job as the API shows it. */
export interface RecordView {
  id: string;
  camera: string;
  event: string | null;
  from: string;
  to: string;
  annotated: boolean;
  state: RecordStatus;
  /** 0..1 */
  progress: number;
  durationS: number | null;
  bytes: number | null;
  sha256: string | null;
  /** Parts of the range without recording; the clip skips them. */
  gaps: { from: string; to: string }[];
  /** Parts recorded by a box that could not be reached at compile time: left out, in `gaps` too. */
  missing: { from: string; to: string; box: string | null; reason: string }[];
  /** The box that compiled the clip (its file is served there). */
  box: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Where the MP4 is served once done. */
  file: string | null;
}

interface RecordDbRow {
  id: string;
  camera_id: string;
  event_id: string | null;
  from_ts: Date;
  to_ts: Date;
  annotated: boolean;
  status: RecordStatus;
  progress: number;
  duration_ms: number | null;
  bytes: string | null;
  sha256: string | null;
  gaps: Interval[] | null;
  missing: MissingPart[] | null;
  box_id: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function fromDb(row: RecordDbRow): RecordRow {
  return {
    id: row.id,
    cameraId: row.camera_id,
    eventId: row.event_id,
    from: row.from_ts,
    to: row.to_ts,
    annotated: row.annotated,
    status: row.status,
    progress: row.progress,
    durationMs: row.duration_ms,
    bytes: row.bytes === null ? null : Number(row.bytes),
    sha256: row.sha256,
    gaps: row.gaps ?? [],
    missing: row.missing ?? [],
    boxId: row.box_id,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * The API view of a job.
 *
 * @param row the job
 * @returns the view
 */
export function recordView(row: RecordRow): RecordView {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: row.id,
    camera: row.cameraId,
    event: row.eventId,
    from: row.from.toISOString(),
    to: row.to.toISOString(),
    annotated: row.annotated,
    state: row.status,
    progress: Math.round(row.progress * 1000) / 1000,
    durationS: row.durationMs === null ? null : row.durationMs / 1000,
    bytes: row.bytes,
    sha256: row.sha256,
    gaps: row.gaps.map((g) => ({
      from: new Date(g.from).toISOString(),
      to: new Date(g.to).toISOString(),
    })),
    missing: row.missing.map((m) => ({
      from: new Date(m.from).toISOString(),
      to: new Date(m.to).toISOString(),
      box: m.box,
      reason: m.reason,
    })),
    box: row.boxId,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    file: row.status === "done" ? `/api/records/${row.id}/file` : null,
  };
}

/** A new job. */
export interface NewRecord {
  id: string;
  cameraId: string;
  eventId: string | null;
  from: Date;
  to: Date;
  annotated: boolean;
}

/**
 * Queues a job.
 *
 * @param sql the database
 * @param job the job
 * @returns the stored job
 */
export async function insertRecord(sql: postgres.Sql, job: NewRecord): Promise<RecordRow> {
  const [row] = await sql<RecordDbRow[]>`
    insert into records (id, camera_id, event_id, from_ts, to_ts, annotated)
    values (${job.id}, ${job.cameraId}, ${job.eventId}, ${job.from}, ${job.to}, ${job.annotated})
    returning *`;
  return fromDb(row!);
}

/**
 * Reads a job.
 *
 * @throws {NotFoundError}
 */
export async function getRecord(sql: postgres.Sql, id: string): Promise<RecordRow> {
  const [row] = await sql<RecordDbRow[]>`select * from records where id = ${id}`;
  if (!row) throw new NotFoundError(`record ${id}`);
  return fromDb(row);
}

/**
 * Lists jobs newest first, `limit` at a time before the cursor (ids are UUIDv7).
 *
 * @returns the page and the next cursor
 */
export async function listRecords(
  sql: postgres.Sql,
  query: { camera?: string; limit: number; cursor?: string },
): Promise<Page<RecordView>> {
  const rows = await sql<RecordDbRow[]>`
    select * from records where true
      ${query.camera === undefined ? sql`` : sql`and camera_id = ${query.camera}`}
      ${query.cursor === undefined ? sql`` : sql`and id < ${query.cursor}`}
    order by id desc limit ${fetchSize(query.limit)}`;
  return cutPage(rows, query.limit, (row) => recordView(fromDb(row)), (row) => row.id);
}

/**
 * Puts jobs this box left `running` (stopped or crashed) back in the queue; another box's running
 * jobs are its own.
 *
 * @param sql the database
 * @param boxId this box (jobs claimed before boxes were recorded have none: they go back too)
 * @returns how many
 */
export async function requeueRunning(sql: postgres.Sql, boxId: string): Promise<number> {
  const result = await sql`
    update records set status = 'queued', progress = 0, started_at = null, updated_at = now()
    where status = 'running' and (box_id is null or box_id = ${boxId})`;
  return result.count;
}

/**
 * Claims the oldest queued job for this box.
 *
 * @param sql the database
 * @param boxId this box (the clip's file will live there)
 * @returns the job, now `running`, or null when none waits
 */
export async function claimNextRecord(
  sql: postgres.Sql,
  boxId: string,
): Promise<RecordRow | null> {
  const [row] = await sql<RecordDbRow[]>`
    update records set status = 'running', started_at = now(), updated_at = now(),
      box_id = ${boxId}
    where id = (
      select id from records where status = 'queued'
      order by created_at, id limit 1 for update skip locked)
    returning *`;
  return row ? fromDb(row) : null;
}

/**
 * Stores a running job's progress.
 *
 * @param sql the database
 * @param id job id
 * @param progress 0..1
 */
export async function setRecordProgress(
  sql: postgres.Sql,
  id: string,
  progress: number,
): Promise<void> {
  await sql`update records set progress = ${Math.min(1, Math.max(0, progress))}, updated_at = now()
            where id = ${id} and status = 'running'`;
}

/**
 * Marks a job done with its result.
 *
 * @param sql the database
 * @param id job id
 * @param result the clip's numbers
 * @returns false when the job was deleted meanwhile
 */
export async function finishRecord(
  sql: postgres.Sql,
  id: string,
  result: {
    path: string;
    bytes: number;
    durationMs: number;
    sha256: string;
    gaps: Interval[];
    /** Default none. */
    missing?: MissingPart[];
  },
): Promise<boolean> {
  const rows = await sql`
    update records set status = 'done', progress = 1, path = ${result.path},
      bytes = ${result.bytes}, duration_ms = ${result.durationMs}, sha256 = ${result.sha256},
      gaps = ${sql.json(result.gaps as unknown as postgres.JSONValue)},
      missing = ${sql.json((result.missing ?? []) as unknown as postgres.JSONValue)}, error = null,
      finished_at = now(), updated_at = now()
    where id = ${id} and status = 'running' returning id`;
  return rows.length > 0;
}

/**
 * Marks a job failed.
 *
 * @param sql the database
 * @param id job id
 * @param error why
 * @param gaps the gaps found, if planning got that far
 * @param missing the parts no box could give, if gathering got that far
 */
export async function failRecord(
  sql: postgres.Sql,
  id: string,
  error: string,
  gaps: Interval[] = [],
  missing: MissingPart[] = [],
): Promise<void> {
  await sql`
    update records set status = 'failed', error = ${error.slice(0, 1000)},
      gaps = ${sql.json(gaps as unknown as postgres.JSONValue)},
      missing = ${sql.json(missing as unknown as postgres.JSONValue)},
      finished_at = now(), updated_at = now()
    where id = ${id} and status in ('queued', 'running')`;
}

/**
 * Deletes a job.
 *
 * @param sql the database
 * @param id job id
 * @returns the deleted job
 * @throws {NotFoundError}
 */
export async function deleteRecord(sql: postgres.Sql, id: string): Promise<RecordRow> {
  const [row] = await sql<RecordDbRow[]>`delete from records where id = ${id} returning *`;
  if (!row) throw new NotFoundError(`record ${id}`);
  return fromDb(row);
}

/**
 * Deletes finished jobs older than `before` (clip retention). On several boxes only the jobs this
 * box compiled (or none did): another box's clip file is on that box, which deletes it with its
 * row; deleting the row here would leave the file there for good.
 *
 * @param sql the database
 * @param before the cut-off
 * @param boxId this box (undefined: every job, as on a box alone)
 * @returns the deleted ids (their files are the caller's to remove)
 */
export async function deleteRecordsBefore(
  sql: postgres.Sql,
  before: Date,
  boxId?: string,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    delete from records where status in ('done', 'failed') and finished_at < ${before}
      and (${boxId ?? null}::uuid is null or box_id is null or box_id = ${boxId ?? null}::uuid)
    returning id`;
  return rows.map((r) => r.id);
}

/**
 * Which of these job ids still have a row (clip files without one are orphans).
 *
 * @param sql the database
 * @param ids job ids (UUIDs)
 * @returns the ids that exist
 */
export async function existingRecordIds(sql: postgres.Sql, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{ id: string }[]>`select id from records where id in ${sql(ids)}`;
  return new Set(rows.map((r) => r.id));
}

/**
 * The ids of a camera's jobs (their files go when the camera is deleted).
 *
 * @param sql the database
 * @param camera camera id
 * @returns job ids
 */
export async function cameraRecordIds(sql: postgres.Sql, camera: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`select id from records where camera_id = ${camera}`;
  return rows.map((r) => r.id);
}
