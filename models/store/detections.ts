/**
 * Detections: the row type the writer persists, its table spec, the paged query behind
 * `GET /api/detections`, and retention (day partitions dropped, old events deleted in batches).
 *
 * A detection's box is normalized to 0..1 of the analysed frame: `[x1, y1, x2, y2]`, top-left and
 * bottom-right corners. `ts` is milliseconds since the epoch (JSON-safe, for spill files).
 *
 * @module
 */
import type postgres from "postgres";
import type { TableSpec } from "../../actors/writer.ts";
import { ValidationError, VigilError } from "../errors.ts";
import { uuidv7 } from "../ids.ts";
import { createLogger } from "../log.ts";
import { LABEL_PATTERN } from "../detectors/labels.ts";
import { removeSnapshots, snapshotsOlderThan } from "./camera_data.ts";

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
/** Same test as `isUuid` in ids.ts, without its lower-casing copy: this runs for every pushed row. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

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
  if (!uuid(id)) fail("id must be a UUID", "id");
  if (!uuid(cameraId)) fail("cameraId must be a UUID", "cameraId");
  finite(ts, "ts", 0, 8.64e15);
  if (!Number.isSafeInteger(frame) || (frame as number) < 0) fail("frame must be ≥ 0", "frame");
  if (trackId !== null && !uuid(trackId)) fail("trackId must be a UUID or null", "trackId");
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

/** How detection rows go into the `detections` table (see actors/writer.ts). */
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

/** A detection as the API returns it. */
export interface Detection {
  id: string;
  camera: string;
  /** ISO 8601, UTC. */
  ts: string;
  frame: number;
  trackId: string | null;
  label: string;
  score: number;
  box: [number, number, number, number];
}

/** Filters and paging of {@linkcode listDetections}. */
export interface DetectionQuery {
  camera?: string;
  label?: string;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  /** Page size. */
  limit: number;
  /** `next` of the previous page. */
  cursor?: string;
}

/** One page, newest first. */
export interface DetectionPage {
  items: Detection[];
  /** Cursor of the next (older) page, or null on the last page. */
  next: string | null;
}

interface DetectionDbRow {
  id: string;
  camera_id: string;
  ts: Date;
  ts_us: string;
  frame: string;
  track_id: string | null;
  label: string;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** SQLSTATE of a statement cancelled by `statement_timeout`. */
const QUERY_CANCELED = "57014";

const CURSOR = /^(\d{1,18})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * Reads a cursor made by {@linkcode listDetections}: `<ts in µs since epoch>_<id>` of the last row
 * of the previous page (µs, because PostgreSQL keeps µs and a cursor in ms could skip rows).
 *
 * @param cursor the cursor
 * @returns its parts
 * @throws {ValidationError} 400 when it is not a cursor
 */
export function parseCursor(cursor: string): { tsUs: string; id: string } {
  const match = CURSOR.exec(cursor);
  if (!match?.[1] || !match[2]) throw new ValidationError("cursor is not valid", "cursor", 400);
  return { tsUs: match[1], id: match[2] };
}

/**
 * How long one listing may run on PostgreSQL before it is cancelled (a viewer asking for a rare
 * label over a camera's whole week must not hold the database). PGlite has no statement timeout:
 * there the indexes are the bound — every filter combination but camera + label is an index range
 * that stops after one page.
 */
export const LIST_TIMEOUT_MS = 5_000;

/**
 * The statement behind {@linkcode listDetections}, not yet run (tests EXPLAIN it). Newest first,
 * keyset-paged on `(ts, id)` so a page costs the same however deep it is, through the
 * `(camera_id, ts)`, `(label, ts)` or, without filters, `(ts, id)` index.
 *
 * @param sql the database (or a transaction)
 * @param query filters and paging
 * @returns the pending query
 * @throws {ValidationError} on a malformed cursor
 */
export function detectionsStatement(
  sql: postgres.Sql | postgres.TransactionSql,
  query: DetectionQuery,
): postgres.PendingQuery<DetectionDbRow[]> {
  const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  return sql<DetectionDbRow[]>`
    select id, camera_id, ts, (extract(epoch from ts) * 1000000)::int8::text as ts_us, frame,
           track_id, label, score, x1, y1, x2, y2
    from detections
    where true
      ${query.camera === undefined ? sql`` : sql`and camera_id = ${query.camera}`}
      ${query.label === undefined ? sql`` : sql`and label = ${query.label}`}
      ${query.from === undefined ? sql`` : sql`and ts >= ${query.from}`}
      ${query.to === undefined ? sql`` : sql`and ts < ${query.to}`}
      ${
    after === undefined ? sql`` : sql`and (ts, id) < (
          timestamptz 'epoch' + ${after.tsUs}::int8 * interval '1 microsecond', ${after.id}::uuid)`
  }
    order by ts desc, id desc
    limit ${query.limit + 1}`;
}

/**
 * Lists detections newest first (see {@linkcode detectionsStatement}), cancelled on PostgreSQL
 * after `timeoutMs`.
 *
 * @param sql the database
 * @param query filters and paging
 * @param options `timeoutMs` (default {@linkcode LIST_TIMEOUT_MS})
 * @returns one page
 * @throws {ValidationError} on a malformed cursor
 * @throws {VigilError} `query_timeout` (503) when the statement ran out of time
 * @example
 * ```ts
 * await listDetections(sql, { camera, label: "car", from, to, limit: 100 });
 * ```
 */
export async function listDetections(
  sql: postgres.Sql,
  query: DetectionQuery,
  options: { timeoutMs?: number } = {},
): Promise<DetectionPage> {
  const timeoutMs = options.timeoutMs ?? LIST_TIMEOUT_MS;
  let rows: DetectionDbRow[];
  try {
    rows = await sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(timeoutMs)}, true)`;
      return await detectionsStatement(tx, query);
    });
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === QUERY_CANCELED) {
      throw new VigilError(
        "query_timeout",
        `the query took longer than ${timeoutMs} ms: narrow it with from/to or fewer filters`,
        503,
      );
    }
    throw error;
  }
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      id: row.id,
      camera: row.camera_id,
      ts: row.ts.toISOString(),
      frame: Number(row.frame),
      trackId: row.track_id,
      label: row.label,
      score: row.score,
      box: [row.x1, row.y1, row.x2, row.y2],
    })),
    next: rows.length > query.limit && last ? `${last.ts_us}_${last.id}` : null,
  };
}

/**
 * Deletes a camera's detections (there is no cascading foreign key on this hot table; see
 * migration 002). Batched so no single statement holds locks for long.
 *
 * @param sql the database
 * @param camera camera id
 * @param batch rows per statement
 * @returns rows deleted
 */
export async function deleteCameraDetections(
  sql: postgres.Sql,
  camera: string,
  batch = 50_000,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from detections where (id, ts) in (
        select id, ts from detections where camera_id = ${camera} limit ${batch})`;
    total += result.count;
    if (result.count < batch) return total;
  }
}

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
 * statement holds locks for long — with their snapshot files when `dataDir` is given. Dropping a partition costs the same for ten rows or ten
 * million and leaves no dead tuples behind.
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

/**
 * Runs {@linkcode applyRetention} now and then every `intervalMs` (default one hour) until
 * stopped; failures are logged and retried at the next tick (the database may be down).
 *
 * @param sql the database
 * @param options retention settings and the interval
 * @returns `stop()`, which waits for a run in progress
 */
export function startRetention(
  sql: postgres.Sql,
  options: Omit<RetentionOptions, "now"> & { intervalMs?: number } = {},
): { stop(): Promise<void> } {
  const log = createLogger("retention");
  const { intervalMs = 3_600_000, ...settings } = options;
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= applyRetention(sql, settings)
      .then((result) => {
        if (
          result.partitionsDropped.length || result.eventsDeleted || result.detectionsDeleted ||
          result.snapshotsRemoved
        ) {
          log.info("retention applied", { ...result });
        }
      })
      .catch((error) => log.warn("retention failed; retrying at the next tick", { error }))
      .finally(() => running = undefined);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
