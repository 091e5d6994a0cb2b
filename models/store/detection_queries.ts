/**
 * Reading and purging detections: the keyset-paged query behind `GET /api/detections`, and the
 * batched delete of one camera's rows.
 *
 * @module
 */
import type postgres from "postgres";
import { ValidationError, VigilError } from "../errors.ts";
import { cutPage, fetchSize, type Page } from "./pager.ts";

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
  /** Only these cameras (a token limited to cameras); absent for every camera. */
  cameras?: readonly string[];
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

/** One page, newest first; `next` is the cursor of the next (older) page. */
export type DetectionPage = Page<Detection>;

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
 * label over a camera's whole week must not hold the database). PGlite has no statement timeout
 * (measured: ignored): there the indexes are the bound — every filter combination but camera +
 * label is an index range that stops after one page.
 */
export const LIST_TIMEOUT_MS = 5_000;

/**
 * Runs a read of the detections in a transaction whose statements PostgreSQL cancels after
 * `timeoutMs` (see {@linkcode LIST_TIMEOUT_MS}; PGlite ignores it).
 *
 * @param sql the database
 * @param timeoutMs how long a statement may run
 * @param read the statements, on the transaction
 * @returns what `read` returns
 * @throws {VigilError} `query_timeout` (503) when a statement ran out of time
 */
export async function withStatementTimeout<T>(
  sql: postgres.Sql,
  timeoutMs: number,
  read: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  try {
    return await sql.begin(async (tx) => {
      await tx`select set_config('statement_timeout', ${String(timeoutMs)}, true)`;
      return await read(tx);
    }) as T;
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === QUERY_CANCELED) {
      throw new VigilError(
        "query_timeout",
        `the query took longer than ${timeoutMs} ms: narrow it with from/to or fewer filters`,
      );
    }
    throw error;
  }
}

/**
 * The statement behind {@linkcode listDetections}, not yet run (tests EXPLAIN it). Newest first,
 * keyset-paged on `(ts, id)` so a page costs the same however deep it is, through the
 * `(camera_id, ts)`, `(label, ts)` or, without filters, `(ts)` index (migration 006).
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
      ${
    query.cameras === undefined ? sql`` : sql`and camera_id = any(${[...query.cameras]}::uuid[])`
  }
      ${query.label === undefined ? sql`` : sql`and label = ${query.label}`}
      ${query.from === undefined ? sql`` : sql`and ts >= ${query.from}`}
      ${query.to === undefined ? sql`` : sql`and ts < ${query.to}`}
      ${
    after === undefined ? sql`` : sql`and (ts, id) < (
          timestamptz 'epoch' + ${after.tsUs}::int8 * interval '1 microsecond', ${after.id}::uuid)`
  }
    order by ts desc, id desc
    limit ${fetchSize(query.limit)}`;
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
  const rows = await withStatementTimeout(
    sql,
    options.timeoutMs ?? LIST_TIMEOUT_MS,
    (tx) => detectionsStatement(tx, query),
  );
  return cutPage(rows, query.limit, (row) => ({
    id: row.id,
    camera: row.camera_id,
    ts: row.ts.toISOString(),
    frame: Number(row.frame),
    trackId: row.track_id,
    label: row.label,
    score: row.score,
    box: [row.x1, row.y1, row.x2, row.y2],
  }), (row) => `${row.ts_us}_${row.id}`);
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
