/**
 * Detections counted per label per time bucket, in SQL: what a chart needs from a day of
 * per-frame rows without reading them (`GET /api/detections/counts`). The day partitions of
 * `detections` (migration 002) keep a day-long count to the partitions it touches.
 *
 * @module
 */
import type postgres from "postgres";
import { ValidationError } from "../errors.ts";

/** Bucket sizes the API accepts, in seconds. */
export const COUNT_BUCKETS = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86_400 } as const;

/** A bucket size's name (`"5m"`, `"1h"`...). */
export type CountBucket = keyof typeof COUNT_BUCKETS;

/** At most this many buckets in one answer (a range too long for its bucket is refused). */
export const MAX_BUCKETS = 2_000;

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
 * @param sql the database
 * @param query filters, bucket and range
 * @returns counts ordered by bucket, then label
 * @throws {ValidationError} when the range holds more than {@linkcode MAX_BUCKETS} buckets
 * @example
 * ```ts
 * await countDetections(sql, { bucket: "1h", from: dayAgo, to: now, label: "car" });
 * ```
 */
export async function countDetections(
  sql: postgres.Sql,
  query: CountQuery,
): Promise<BucketCount[]> {
  const seconds = COUNT_BUCKETS[query.bucket];
  const buckets = (query.to.getTime() - query.from.getTime()) / 1000 / seconds;
  if (buckets > MAX_BUCKETS) {
    throw new ValidationError(
      `detections: ${Math.ceil(buckets)} buckets of ${query.bucket} asked; at most ${MAX_BUCKETS}` +
        ": take a larger bucket or a shorter range",
      "bucket",
    );
  }
  const rows = await sql<{ bucket: Date; label: string; count: number }[]>`
    select to_timestamp(floor(extract(epoch from ts) / ${seconds}) * ${seconds}) as bucket,
      label, count(*)::int as count
    from detections
    where ts >= ${query.from} and ts < ${query.to}
      ${query.camera ? sql`and camera_id = ${query.camera}` : sql``}
      ${query.cameras ? sql`and camera_id = any(${query.cameras as string[]}::uuid[])` : sql``}
      ${query.label ? sql`and label = ${query.label}` : sql``}
    group by 1, 2
    order by 1, 2`;
  return rows.map((row) => ({
    bucket: row.bucket.toISOString(),
    label: row.label,
    count: row.count,
  }));
}
