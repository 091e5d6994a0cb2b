/**
 * Detections counted per label per time bucket, in SQL: what a chart needs from a day of
 * per-frame rows without reading them (`GET /api/detections/counts`). The day partitions of
 * `detections` (migration 002) keep a day-long count to the partitions it touches.
 *
 * @module
 */
import type postgres from "postgres";
import { ValidationError } from "../errors.ts";
import { LIST_TIMEOUT_MS, withStatementTimeout } from "./detection_queries.ts";

/** Bucket sizes the API accepts, in seconds. */
export const COUNT_BUCKETS = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86_400 } as const;

/** A bucket size's name (`"5m"`, `"1h"`...). */
export type CountBucket = keyof typeof COUNT_BUCKETS;

/** At most this many buckets in one answer (a range too long for its bucket is refused). */
export const MAX_BUCKETS = 2_000;

/**
 * At most this many counts (buckets × labels) in one answer: many labels over many buckets is
 * refused rather than sent whole.
 */
export const MAX_COUNTS = 20_000;

/** What {@linkcode countDetections} counts. */
export interface CountQuery {
  camera?: string;
  /** Only these cameras (a token limited to cameras). */
  cameras?: readonly string[];
  label?: string;
  bucket: CountBucket;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** One label's count in one bucket. */
export interface BucketCount {
  /** Start of the bucket, ISO 8601 UTC (buckets are aligned to the epoch). */
  bucket: string;
  label: string;
  count: number;
}

/**
 * Counts detections per label per bucket; buckets without rows are left out.
 *
 * cancelled on PostgreSQL after `timeoutMs`, like the listing.
 *
 * @param sql the database
 * @param query filters, bucket and range
 * @param options `timeoutMs` (default {@linkcode LIST_TIMEOUT_MS}), `maxCounts` (default
 *   {@linkcode MAX_COUNTS})
 * @returns counts ordered by bucket, then label
 * @throws {ValidationError} when the range holds more than {@linkcode MAX_BUCKETS} buckets, or
 *   the answer more than `maxCounts` counts
 * @throws {VigilError} `query_timeout` (503) when the statement ran out of time
 * @example
 * ```ts
 * await countDetections(sql, { bucket: "1h", from: dayAgo, to: now, label: "car" });
 * ```
 */
export async function countDetections(
  sql: postgres.Sql,
  query: CountQuery,
  options: { timeoutMs?: number; maxCounts?: number } = {},
): Promise<BucketCount[]> {
  const maxCounts = options.maxCounts ?? MAX_COUNTS;
  const seconds = COUNT_BUCKETS[query.bucket];
  const buckets = (query.to.getTime() - query.from.getTime()) / 1000 / seconds;
  if (buckets > MAX_BUCKETS) {
    throw new ValidationError(
      `detections: ${Math.ceil(buckets)} buckets of ${query.bucket} asked; at most ${MAX_BUCKETS}` +
        ": take a larger bucket or a shorter range",
      "bucket",
    );
  }
  const rows = await withStatementTimeout(
    sql,
    options.timeoutMs ?? LIST_TIMEOUT_MS,
    (tx) =>
      tx<{ bucket: Date; label: string; count: number }[]>`
    select to_timestamp(floor(extract(epoch from ts) / ${seconds}) * ${seconds}) as bucket,
      label, count(*)::int as count
    from detections
    where ts >= ${query.from} and ts < ${query.to}
      ${query.camera ? tx`and camera_id = ${query.camera}` : tx``}
      ${query.cameras ? tx`and camera_id = any(${query.cameras as string[]}::uuid[])` : tx``}
      ${query.label ? tx`and label = ${query.label}` : tx``}
    group by 1, 2
    order by 1, 2
    limit ${maxCounts + 1}`,
  );
  if (rows.length > maxCounts) {
    throw new ValidationError(
      `detections: more than ${maxCounts} counts (buckets × labels) asked: take a larger ` +
        "bucket, a shorter range or one label",
      "bucket",
    );
  }
  return rows.map((row) => ({
    bucket: row.bucket.toISOString(),
    label: row.label,
    count: row.count,
  }));
}
