/**
 * The SQL half of the batch writer (actors/store/writer.ts): rows go to one table as ONE
 * `insert ... select * from unnest(...)` statement with each column sent as a ready-made array
 * literal, rows the database refuses are found by halving and dropped, and a statement not
 * answered in time is cancelled. Why unnest and not VALUES or COPY:
 * docs/decisions/writer-unnest.md.
 *
 * @module
 */
import type postgres from "postgres";
import { UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { withTimeout } from "../timeout.ts";
import { arrayLiteral } from "./array_literal.ts";
import { isFenceError, isRowError, isUniqueViolation } from "./pg_errors.ts";
import { columnArrays, insertStatement, type TableSpec } from "./table_spec.ts";

/** Counters the inserts add to (the writer's own, shared). */
export interface InsertCounts {
  /** Rows sent in successful statements. */
  written: number;
  /** Rows the database refused as invalid. */
  dropped: number;
}

/**
 * The lease a camera's rows are written under (several boxes on one database): every statement
 * records `boxId` and `epoch` in the rows and is refused whole unless the box still holds the
 * camera at that epoch (`vigil_fence`, migration 010).
 */
export interface WriteFence {
  /** The camera whose lease is checked. */
  cameraId: string;
  /** This box. */
  boxId: string;
  /** The lease epoch this box holds the camera at. */
  epoch: number;
  /** Called when a statement was refused: the lease is lost. */
  onLost?(): void;
}

/**
 * Inserts batches of one table, one statement at a time.
 *
 * @example
 * ```ts
 * const insert = new BatchInsert(sql, DETECTIONS, { log, writeTimeoutMs: 10_000, counts });
 * await insert.insert(rows, true);
 * ```
 */
export class BatchInsert<R> {
  /** While stopping: no statement may run past this time (epoch ms). */
  deadline: number | undefined;
  readonly #sql: postgres.Sql;
  readonly #spec: TableSpec<R>;
  readonly #text: string;
  readonly #plainText: string | undefined;
  readonly #log: Logger;
  readonly #writeTimeoutMs: number;
  readonly #counts: InsertCounts;
  readonly #fence: WriteFence | undefined;
  #abandoned = false;
  /** The statement in flight, to cancel it when abandoned. */
  #query: { cancel(): unknown } | undefined;

  /**
   * @param sql the database
   * @param spec the table
   * @param options the writer's logger, the time limit of one statement, the counters to add to,
   *   and the lease the rows are written under (none on a box alone)
   */
  constructor(
    sql: postgres.Sql,
    spec: TableSpec<R>,
    options: { log: Logger; writeTimeoutMs: number; counts: InsertCounts; fence?: WriteFence },
  ) {
    this.#sql = sql;
    this.#spec = spec;
    this.#fence = options.fence;
    const fenced = options.fence !== undefined;
    this.#text = insertStatement(spec, { fenced });
    // For insert-only tables the first attempt at a batch leaves out `on conflict` (speculative
    // insertion measured ~20% slower); retries and replays keep it.
    this.#plainText = spec.insertOnly
      ? insertStatement(spec, { idempotent: false, fenced })
      : undefined;
    this.#log = options.log;
    this.#writeTimeoutMs = options.writeTimeoutMs;
    this.#counts = options.counts;
  }

  /** True once {@linkcode BatchInsert.abandon} gave up: no statement runs any more. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * The rows' column literals, to build while another statement runs on the server.
   *
   * @param rows the rows
   * @returns one array literal per column
   */
  literals(rows: readonly R[]): string[] {
    const columns = columnArrays(this.#spec, rows).map(arrayLiteral);
    const fence = this.#fence;
    return fence ? [...columns, fence.boxId, String(fence.epoch), fence.cameraId] : columns;
  }

  /** Gives up on the statement in flight (cancelled; nobody waits for the cancel) and any next. */
  abandon(): void {
    this.#abandoned = true;
    // Cancelling opens a connection to the server, which may hang too: nobody waits for it.
    Promise.resolve(this.#query?.cancel()).catch(() => {});
  }

  /**
   * Inserts rows as one statement; rows the database refuses are found by halving and dropped.
   *
   * @param rows the rows
   * @param fresh none of the rows was ever sent, so an insert-only table can skip `on conflict`
   * @param params the rows' column literals, if already built
   * @param meanwhile work to do while the statement runs on the server
   * @throws {UnavailableError} when abandoned, out of time, or the database is unreachable
   */
  async insert(
    rows: readonly R[],
    fresh: boolean,
    params?: string[],
    meanwhile?: () => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.#abandoned) throw new UnavailableError("writer: the write was abandoned at stop");
    const text = fresh && this.#plainText ? this.#plainText : this.#text;
    try {
      await this.#run(text, params ?? this.literals(rows), meanwhile);
      this.#counts.written += rows.length;
    } catch (error) {
      if (isFenceError(error)) {
        // Another box owns the camera now: these rows are not ours to write, ever. Dropped,
        // never spilled (a replay would be refused too).
        this.#counts.dropped += rows.length;
        this.#log.warn("the lease is lost: the database refused the batch; dropping it", {
          rows: rows.length,
          epoch: this.#fence?.epoch,
        });
        this.#fence?.onLost?.();
        return;
      }
      // A duplicate id pushed twice: the idempotent statement skips it.
      if (text !== this.#text && isUniqueViolation(error)) return await this.insert(rows, false);
      if (!isRowError(error)) throw error;
      if (rows.length === 1) {
        this.#counts.dropped++;
        this.#log.error("the database refused a row; dropping it", { error, row: rows[0] });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.insert(rows.slice(0, half), fresh);
      await this.insert(rows.slice(half), fresh);
    }
  }

  /**
   * Runs one statement, cancelling it after `writeTimeoutMs`. A cancelled statement that had
   * reached the server may still commit; the retry then uses `on conflict`, so it cannot
   * duplicate, and it waits on the first one's row locks, so it commits after it.
   */
  async #run(text: string, params: string[], meanwhile?: () => void): Promise<void> {
    const limit = this.deadline === undefined
      ? this.#writeTimeoutMs
      : Math.min(this.#writeTimeoutMs, this.deadline - Date.now());
    if (limit <= 0) throw new UnavailableError("writer: no time left to write at stop");
    const query = this.#sql.unsafe(text, params);
    this.#query = query;
    const answer = withTimeout(query, limit, () => {
      // Cancelling a statement the server already has opens a connection, which may fail.
      Promise.resolve(query.cancel()).catch(() => {});
      return new UnavailableError(`writer: no answer within ${limit} ms`);
    });
    try {
      if (meanwhile) {
        // Let postgres.js put the statement on the wire (it sends on a later tick), then work.
        answer.catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 0));
        meanwhile();
      }
      await answer;
    } finally {
      this.#query = undefined;
      // The cancelled query rejects too; nobody else awaits it.
      query.catch(() => {});
    }
  }
}
