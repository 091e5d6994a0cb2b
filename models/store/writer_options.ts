/**
 * The batch writer's options, their defaults and checks, and its counters: what a caller of
 * `BatchWriter.open` (actors/store/writer.ts) passes and reads.
 *
 * @module
 */
import type postgres from "postgres";
import { ValidationError } from "../errors.ts";
import type { TableSpec } from "./table_spec.ts";
import type { WriterLimits } from "./write_plan.ts";
import type { WriteFence } from "./batch_insert.ts";

/** Options of `BatchWriter.open`. */
export interface WriterOptions<R> {
  /** The database. */
  sql: postgres.Sql;
  /** The table. */
  spec: TableSpec<R>;
  /** Whose rows these are (the camera id); names the spill file. `[A-Za-z0-9_-]` only. */
  name: string;
  /** Vigil's data dir; spill files go to `<dataDir>/spill/<table>/<name>.jsonl`. */
  dataDir: string;
  /** Write when this many rows wait (default 500). */
  batchSize?: number;
  /** Write when the oldest row waited this long (default 250 ms). */
  maxAgeMs?: number;
  /** Rows per statement at most, when a backlog is drained (default 5000). */
  maxStatementRows?: number;
  /** Rows kept in memory before spilling (default 20,000). */
  maxBufferedRows?: number;
  /** While the database is down, rows older than this are spilled (default 5 s). */
  spillAfterMs?: number;
  /**
   * Cap on the spill file (default {@linkcode MAX_SPILL_BYTES}). When an append passes it, the
   * oldest rows are dropped down to three quarters of it — counted in `dropped` and logged, never
   * silently — so a long outage cannot fill the disk.
   */
  maxSpillBytes?: number;
  /** First retry delay after a failed write; doubles up to `retryMaxMs` (default 250 ms). */
  retryBaseMs?: number;
  /** Longest retry delay (default 5 s). */
  retryMaxMs?: number;
  /**
   * A statement not answered within this long is cancelled and counted as failed (default 10 s).
   * postgres.js keeps a query waiting forever when a server accepts connections and drops them
   * during the handshake (an overloaded embedded socket server does), so without this a writer
   * could hang instead of spilling.
   */
  writeTimeoutMs?: number;
  /** The camera's lease, when several boxes share the database (none on a box alone). */
  fence?: WriteFence;
}

/** Counters for health and metrics. */
export interface WriterStats {
  /** Rows in memory waiting for the database. */
  buffered: number;
  /** Rows in the spill file waiting to be replayed. */
  spilled: number;
  /** Size of the spill file. */
  spillBytes: number;
  /** True from a failed write until the next successful one. */
  down: boolean;
  /** Rows pushed since open. */
  accepted: number;
  /** Of those, how many (a prefix) are committed or spilled. */
  durable: number;
  /** Rows sent in successful statements (including replayed ones). */
  written: number;
  /** Rows refused by the database as invalid, or dropped because memory and disk were full. */
  dropped: number;
  /** The last write error, until a write succeeds. */
  lastError: string | undefined;
}

/** The options with their defaults applied. */
export interface WriterSettings {
  limits: WriterLimits;
  maxStatementRows: number;
  retryBaseMs: number;
  retryMaxMs: number;
  writeTimeoutMs: number;
  maxSpillBytes: number;
}

/**
 * Default cap on one spill file, i.e. per camera and table: about a day of a busy camera's
 * detections (~250 bytes a row), while a box with a few cameras keeps its disk.
 */
export const MAX_SPILL_BYTES = 256 * 1024 * 1024;

const SPILL_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const POSITIVE = [
  "batchSize",
  "maxAgeMs",
  "maxStatementRows",
  "maxBufferedRows",
  "writeTimeoutMs",
  "maxSpillBytes",
] as const;

/**
 * Checks a writer's options and applies the defaults.
 *
 * @param options see {@linkcode WriterOptions}
 * @returns the settings the writer runs with
 * @throws {ValidationError} on a name unfit for a file name, or a size or time that is not a
 *   positive integer
 * @example
 * ```ts
 * writerSettings({ sql, spec: DETECTIONS, name: camera.id, dataDir }).limits.batchSize; // 500
 * ```
 */
export function writerSettings<R>(options: WriterOptions<R>): WriterSettings {
  if (!SPILL_NAME.test(options.name)) {
    throw new ValidationError(`writer: name must match ${SPILL_NAME}: ${options.name}`, "name");
  }
  for (const key of POSITIVE) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ValidationError(
        `Cannot open a writer as '${key}' must be a positive integer: current value is ${value}`,
        key,
      );
    }
  }
  const batchSize = options.batchSize ?? 500;
  return {
    limits: {
      batchSize,
      maxAgeMs: options.maxAgeMs ?? 250,
      maxBufferedRows: options.maxBufferedRows ?? 20_000,
      spillAfterMs: options.spillAfterMs ?? 5_000,
    },
    maxStatementRows: options.maxStatementRows ?? Math.max(5000, batchSize),
    retryBaseMs: options.retryBaseMs ?? 250,
    retryMaxMs: options.retryMaxMs ?? 5_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 10_000,
    maxSpillBytes: options.maxSpillBytes ?? MAX_SPILL_BYTES,
  };
}
