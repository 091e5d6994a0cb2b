/**
 * Segments: the row the recorder indexes through the batch writer, and the queries behind the
 * timeline, clips, live numbers and retention.
 *
 * A segment is protected — never deleted by retention or the disk guard — while it overlaps the
 * range of a queued or running compile, or a kept event with the camera's pre/post roll.
 *
 * @module
 */
import type postgres from "postgres";
import type { TableSpec } from "./table_spec.ts";
import { ValidationError } from "../errors.ts";
import { isUuid } from "../ids.ts";
import { parseSegmentPath } from "../recording/paths.ts";
import type { AudioMode } from "../media/segment_args.ts";
import { DEFAULT_RECORDING_SETTINGS } from "../recording/settings.ts";

/** One indexed segment, as written (and spilled): times in ms since the epoch. */
export interface SegmentRow {
  /** UUIDv7 of the start time. */
  id: string;
  cameraId: string;
  /** Relative to the recordings root (models/recording/paths.ts). */
  path: string;
  startedAt: number;
  endedAt: number;
  bytes: number;
  durationMs: number;
  codec: string | null;
  width: number | null;
  height: number | null;
  audio: AudioMode;
  /** The camera's audio codec, when it sends audio. */
  audioCodec: string | null;
}

const AUDIO: readonly AudioMode[] = ["copy", "aac", "none"];
const CODEC = /^[a-z0-9_]{1,32}$/;

function fail(message: string, field: string): never {
  throw new ValidationError(`segment: ${message}`, field);
}

function count(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) {
    fail(`${field} must be a whole number`, field);
  }
  return value as number;
}

function optionalCount(value: unknown, field: string): number | null {
  return value === null ? null : count(value, field, 100_000);
}

function optionalCodec(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || !CODEC.test(value)) fail(`${field} is not a codec name`, field);
  return value;
}

/**
 * Checks a segment row (pushed by the recorder, or read back from a spill file).
 *
 * @param value anything
 * @returns the typed row
 * @throws {ValidationError} naming the bad field
 */
export function parseSegmentRow(value: unknown): SegmentRow {
  if (typeof value !== "object" || value === null) fail("a row must be an object", "row");
  const row = value as Record<string, unknown>;
  if (!isUuid(row.id)) fail("id must be a UUID", "id");
  if (!isUuid(row.cameraId)) fail("cameraId must be a UUID", "cameraId");
  const parsed = typeof row.path === "string" ? parseSegmentPath(row.path) : null;
  if (!parsed || parsed.cameraId !== row.cameraId) fail("path is not this camera's", "path");
  const startedAt = count(row.startedAt, "startedAt");
  const endedAt = count(row.endedAt, "endedAt");
  if (endedAt <= startedAt) fail("endedAt must be after startedAt", "endedAt");
  const audio = AUDIO.find((a) => a === row.audio);
  if (!audio) fail("audio must be copy, aac or none", "audio");
  return {
    id: row.id,
    cameraId: row.cameraId,
    path: row.path as string,
    startedAt,
    endedAt,
    bytes: count(row.bytes, "bytes"),
    durationMs: count(row.durationMs, "durationMs", 2_147_483_647),
    codec: optionalCodec(row.codec, "codec"),
    width: optionalCount(row.width, "width"),
    height: optionalCount(row.height, "height"),
    audio,
    audioCodec: optionalCodec(row.audioCodec, "audioCodec"),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How segment rows go into `segments`. `do nothing` without a target: a row replayed after a
 * crash may meet the same id or the same path (recovery indexed the file meanwhile).
 */
export const SEGMENTS: TableSpec<SegmentRow> = {
  table: "segments",
  columns: [
    { name: "id", type: "uuid", value: (r) => r.id },
    { name: "camera_id", type: "uuid", value: (r) => r.cameraId },
    { name: "path", type: "text", value: (r) => r.path },
    { name: "started_at", type: "timestamptz", value: (r) => iso(r.startedAt) },
    { name: "ended_at", type: "timestamptz", value: (r) => iso(r.endedAt) },
    { name: "bytes", type: "int8", value: (r) => r.bytes },
    { name: "duration_ms", type: "int4", value: (r) => r.durationMs },
    { name: "codec", type: "text", value: (r) => r.codec },
    { name: "width", type: "int4", value: (r) => r.width },
    { name: "height", type: "int4", value: (r) => r.height },
    { name: "audio", type: "text", value: (r) => r.audio },
    { name: "audio_codec", type: "text", value: (r) => r.audioCodec },
  ],
  onConflict: "do nothing",
  insertOnly: true,
  parse: parseSegmentRow,
};

interface SegmentDbRow {
  id: string;
  camera_id: string;
  path: string;
  started_at: Date;
  ended_at: Date;
  bytes: string;
  duration_ms: number;
  codec: string | null;
  width: number | null;
  height: number | null;
  audio: AudioMode;
  audio_codec: string | null;
  box_id: string | null;
}

/** A stored segment with the box that recorded it (null: a box alone). */
export type StoredSegment = SegmentRow & { boxId: string | null };

function fromDb(row: SegmentDbRow): StoredSegment {
  return {
    id: row.id,
    cameraId: row.camera_id,
    path: row.path,
    startedAt: row.started_at.getTime(),
    endedAt: row.ended_at.getTime(),
    bytes: Number(row.bytes),
    durationMs: row.duration_ms,
    codec: row.codec,
    width: row.width,
    height: row.height,
    audio: row.audio,
    audioCodec: row.audio_codec,
    boxId: row.box_id,
  };
}

/**
 * The segments of a camera overlapping `[from, to)`, oldest first.
 *
 * @param sql the database
 * @param camera camera id
 * @param from range start
 * @param to range end
 * @returns the segments, with the box that recorded each
 */
export async function segmentsBetween(
  sql: postgres.Sql,
  camera: string,
  from: Date,
  to: Date,
): Promise<StoredSegment[]> {
  const rows = await sql<SegmentDbRow[]>`
    select * from segments
    where camera_id = ${camera} and started_at < ${to} and ended_at > ${from}
    order by started_at, id`;
  return rows.map(fromDb);
}

/**
 * One segment by id (another box fetching it for a clip).
 *
 * @param sql the database
 * @param id the segment's id (a UUID: the caller checked it)
 * @returns the segment, or undefined when there is none
 */
export async function segmentById(
  sql: postgres.Sql,
  id: string,
): Promise<StoredSegment | undefined> {
  const [row] = await sql<SegmentDbRow[]>`select * from segments where id = ${id}`;
  return row && fromDb(row);
}

/**
 * Bytes and count of a camera's segments that started since `since` (today's numbers).
 *
 * @param sql the database
 * @param camera camera id
 * @param since the start of the period
 * @returns bytes and segments
 */
export async function recordedSince(
  sql: postgres.Sql,
  camera: string,
  since: Date,
): Promise<{ bytes: number; segments: number }> {
  const [row] = await sql<{ bytes: string; segments: string }[]>`
    select coalesce(sum(bytes), 0) as bytes, count(*) as segments from segments
    where camera_id = ${camera} and started_at >= ${since}`;
  return { bytes: Number(row?.bytes ?? 0), segments: Number(row?.segments ?? 0) };
}

/**
 * The stored paths of a camera's segments that started since `since` (recovery compares them
 * with the files on disk).
 *
 * @param sql the database
 * @param camera camera id
 * @param since the start of the period
 * @returns the paths
 */
export async function segmentPathsSince(
  sql: postgres.Sql,
  camera: string,
  since: Date,
): Promise<Set<string>> {
  const rows = await sql<{ path: string }[]>`
    select path from segments where camera_id = ${camera} and started_at >= ${since}`;
  return new Set(rows.map((r) => r.path));
}

/** Bytes all indexed segments take. */
export async function totalSegmentBytes(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<
    { bytes: string }[]
  >`select coalesce(sum(bytes), 0) as bytes from segments`;
  return Number(row?.bytes ?? 0);
}

/** A segment retention may delete. */
export interface Deletable {
  id: string;
  path: string;
  bytes: number;
}

/** The segments no queued/running compile and no kept event needs. */
function unprotected(sql: postgres.Sql) {
  const pre = DEFAULT_RECORDING_SETTINGS.preRollS;
  const post = DEFAULT_RECORDING_SETTINGS.postRollS;
  return sql`
    not exists (
      select 1 from records r
      where r.camera_id = s.camera_id and r.status in ('queued', 'running')
        and r.from_ts < s.ended_at and r.to_ts > s.started_at)
    and not exists (
      select 1 from events e join cameras c on c.id = e.camera_id
      where e.keep and e.camera_id = s.camera_id
        and e.started_at - make_interval(secs =>
              coalesce((c.desired -> 'recording' -> 'settings' ->> 'preRollS')::float8, ${pre})) < s.ended_at
        and coalesce(e.ended_at, e.started_at) + make_interval(secs =>
              coalesce((c.desired -> 'recording' -> 'settings' ->> 'postRollS')::float8, ${post})) > s.started_at)`;
}

/**
 * The oldest unprotected segments, for the disk guard.
 *
 * @param sql the database
 * @param limit how many at most
 * @returns oldest first
 */
export async function oldestDeletable(sql: postgres.Sql, limit: number): Promise<Deletable[]> {
  const rows = await sql<{ id: string; path: string; bytes: string }[]>`
    select s.id, s.path, s.bytes from segments s
    where ${unprotected(sql)}
    order by s.started_at, s.id limit ${limit}`;
  return rows.map((r) => ({ id: r.id, path: r.path, bytes: Number(r.bytes) }));
}

/**
 * Deletes the unprotected segments of a camera that ended before `before`, up to `limit` rows.
 *
 * @param sql the database
 * @param camera camera id
 * @param before the retention cut-off
 * @param limit rows per statement
 * @returns the deleted rows (their files are the caller's to remove)
 */
export async function deleteExpired(
  sql: postgres.Sql,
  camera: string,
  before: Date,
  limit: number,
): Promise<Deletable[]> {
  const rows = await sql<{ id: string; path: string; bytes: string }[]>`
    delete from segments where id in (
      select s.id from segments s
      where s.camera_id = ${camera} and s.ended_at < ${before} and ${unprotected(sql)}
      order by s.started_at limit ${limit})
    returning id, path, bytes`;
  return rows.map((r) => ({ id: r.id, path: r.path, bytes: Number(r.bytes) }));
}

/**
 * Deletes segments by id, skipping any that became protected meanwhile (a compile queued
 * between the pick and the delete).
 *
 * @param sql the database
 * @param ids segment ids
 * @returns the deleted rows
 */
export async function deleteSegments(sql: postgres.Sql, ids: string[]): Promise<Deletable[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ id: string; path: string; bytes: string }[]>`
    delete from segments s where s.id in ${sql(ids)} and ${unprotected(sql)}
    returning s.id, s.path, s.bytes`;
  return rows.map((r) => ({ id: r.id, path: r.path, bytes: Number(r.bytes) }));
}

/**
 * Cameras that have segments, with their `retainDays` (retention walks them). A camera that
 * stopped recording keeps its last settings, so its segments age out as it was told.
 *
 * @param sql the database
 * @returns camera ids with their stored `retainDays` (null when never set)
 */
export async function camerasWithSegments(
  sql: postgres.Sql,
): Promise<{ id: string; retainDays: number | null }[]> {
  const rows = await sql<{ id: string; retain_days: string | null }[]>`
    select c.id, c.desired -> 'recording' -> 'settings' ->> 'retainDays' as retain_days
    from cameras c
    where exists (select 1 from segments s where s.camera_id = c.id)`;
  return rows.map((r) => {
    const days = Number(r.retain_days);
    return { id: r.id, retainDays: Number.isInteger(days) && days > 0 ? days : null };
  });
}
