/**
 * The writer: batched, durable persistence of one camera's rows into one table.
 *
 * Rows are accepted synchronously by {@linkcode BatchWriter.push} into a memory buffer and written
 * as ONE `insert ... select * from unnest($1::type[], ...)` statement when `batchSize` rows (500)
 * are waiting or the oldest has waited `maxAgeMs` (250 ms); a backlog drains in statements of up
 * to `maxStatementRows` (5000). Measured on this machine into `detections` with its indexes
 * (scripts/bench_writer.ts and the notes in the issue): `unnest` beat multi-row `VALUES` by
 * ~1.3-1.9x on PostgreSQL 15 and on PGlite, because postgres.js serializes thousands of
 * parameters slower than one array literal per column; and it binds one parameter per column, so
 * postgres.js's 65,534-parameter limit can never be reached. Each column is sent as a ready-made
 * array literal ({@linkcode arrayLiteral}), ~10% less client CPU than postgres.js's array
 * serializer. While a statement runs on the server, the next batch's literals are already being
 * built (when a full batch waits), so encoding never sits between two statements: a backlog
 * drains at the server's pace. COPY was not chosen: it cannot say `on conflict`, so an idempotent retry would need
 * a staging table and a second statement per batch. For insert-only tables the first attempt at a
 * batch leaves out `on conflict` (speculative insertion measured ~20% slower); retries and replays
 * keep it.
 *
 * Guarantees:
 * - at most one statement in flight per writer, so batches commit in the order rows were pushed;
 * - rows carry client-made ids (see {@linkcode TableSpec}), so a batch retried after an error
 *   that hid a commit (connection lost after COMMIT) cannot duplicate;
 * - database down → rows stay in memory up to `maxBufferedRows` (or `spillAfterMs`), then go to an
 *   append-only spill file (`<dataDir>/spill/<table>/<name>.jsonl`, see models/store/spill.ts,
 *   fsynced); when the database answers again the file is replayed first, in order, then memory,
 *   so rows of a camera arrive in the order they were pushed;
 * - {@linkcode BatchWriter.stop} writes or spills everything buffered. Given a `deadline`, a
 *   statement still unanswered then is abandoned (cancelled; its rows are spilled, and should it
 *   commit after all, the replay skips them through `on conflict`) and whatever is not written is
 *   spilled — so a hung or slow database cannot hold a shutdown past its exit deadline. A spill
 *   left by a stop or a crash is replayed by the next writer opened with the same table and name;
 * - a spill file is capped (`maxSpillBytes`): past it the oldest rows are dropped, counted in
 *   `dropped` and logged — a long outage cannot fill the disk.
 *
 * Rows pushed are "durable" once committed or spilled; a SIGKILL loses only rows pushed after the
 * last flush or spill ({@linkcode WriterStats.durable} counts the durable prefix).
 *
 * Why a class and not an XState actor: the writer's life has no states worth a chart (it is a
 * queue with a retry timer), and its one hard requirement — an awaitable stop that writes or
 * spills everything — is something an XState v5 actor cannot give (`stop()` is synchronous and
 * callback cleanups cannot be awaited). The camera actor receives a writer through its input and
 * pushes rows to it; the fleet awaits `stop()` of every writer on shutdown.
 *
 * @module
 */
import type postgres from "postgres";
import { UnavailableError, ValidationError } from "../../models/errors.ts";
import { createLogger, type Logger } from "../../models/log.ts";
import { openSpill, type SpillFile } from "../../models/store/spill.ts";
import { spillPath } from "../../models/store/camera_data.ts";
import { columnArrays, insertStatement, type TableSpec } from "../../models/store/table_spec.ts";
import { arrayLiteral } from "../../models/store/array_literal.ts";
import { planStep, type WriterLimits } from "../../models/store/write_plan.ts";
import { isRowError, isUniqueViolation } from "../../models/store/pg_errors.ts";
import { backoffDelay } from "../../models/backoff.ts";
import { settlesWithin, withTimeout } from "../../models/timeout.ts";

/** Options of {@linkcode BatchWriter.open}. */
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

const SPILL_NAME = /^[A-Za-z0-9_-]{1,100}$/;
/**
 * Default cap on one spill file, i.e. per camera and table: about a day of a busy camera's
 * detections (~250 bytes a row), while a box with a few cameras keeps its disk.
 */
export const MAX_SPILL_BYTES = 256 * 1024 * 1024;
/** A full spill file is cut down to this fraction of its cap, so trims are rare. */
const SPILL_KEEP_FRACTION = 0.75;

/** A failed spill (disk full...) is retried after this long. */
const SPILL_RETRY_MS = 5_000;
/** Beyond this many times `maxBufferedRows` in memory (disk and database both failing), pushes
 * are dropped rather than letting memory grow without bound. */
const HARD_LIMIT_FACTOR = 4;

/**
 * A per-camera batch writer; see the module documentation.
 *
 * @example
 * ```ts
 * const writer = await BatchWriter.open({ sql: db.sql, spec: DETECTIONS, name: camera.id, dataDir });
 * writer.push(newDetection({ cameraId: camera.id, ts: Date.now(), frame: 1, ... }));
 * await writer.stop();
 * ```
 */
export class BatchWriter<R> {
  readonly #sql: postgres.Sql;
  readonly #spec: TableSpec<R>;
  readonly #text: string;
  readonly #plainText: string | undefined;
  readonly #spill: SpillFile;
  readonly #log: Logger;
  readonly #limits: WriterLimits;
  readonly #maxStatementRows: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #writeTimeoutMs: number;
  readonly #maxSpillBytes: number;

  #rows: R[] = [];
  /** Leading rows of memory already sent in a statement that failed: maybe committed. */
  #attempted = 0;
  #pushedAt: number[] = [];
  #replayOffset = 0;
  #spilled: number;
  #down = false;
  #failures = 0;
  #retryAt = 0;
  #spillRetryAt = 0;
  #busy: Promise<void> | undefined;
  /** What `#busy` is doing: a write may be abandoned at stop, a spill (disk) may not. */
  #busyKind: "write" | "spill" | undefined;
  /** Set when stop gave up on the write in flight: its late outcome must change nothing. */
  #abandoned = false;
  /** While stopping: no statement may run past this time (the deadline given to stop). */
  #stopDeadline: number | undefined;
  /** The statement in flight, to cancel it when abandoned. */
  #query: { cancel(): unknown } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt: number | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #waiters: (() => void)[] = [];
  #stats = { accepted: 0, durable: 0, written: 0, dropped: 0 };
  #lastError: string | undefined;
  /** The next statement's rows (the head of memory) with their column literals, built early. */
  #prepared: { rows: R[]; params: string[] } | undefined;

  private constructor(options: WriterOptions<R>, spill: SpillFile, log: Logger) {
    this.#sql = options.sql;
    this.#spec = options.spec;
    this.#text = insertStatement(options.spec);
    this.#plainText = options.spec.insertOnly
      ? insertStatement(options.spec, { idempotent: false })
      : undefined;
    this.#spill = spill;
    this.#log = log;
    this.#spilled = spill.rows;
    this.#limits = {
      batchSize: options.batchSize ?? 500,
      maxAgeMs: options.maxAgeMs ?? 250,
      maxBufferedRows: options.maxBufferedRows ?? 20_000,
      spillAfterMs: options.spillAfterMs ?? 5_000,
    };
    this.#maxStatementRows = options.maxStatementRows ?? Math.max(5000, this.#limits.batchSize);
    this.#retryBaseMs = options.retryBaseMs ?? 250;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.#maxSpillBytes = options.maxSpillBytes ?? MAX_SPILL_BYTES;
  }

  /**
   * Opens a writer; rows spilled by an earlier writer of the same table and name are replayed
   * before any row pushed to this one.
   *
   * @param options see {@linkcode WriterOptions}
   * @returns the running writer
   * @throws {ValidationError} on a bad option
   */
  static async open<R>(options: WriterOptions<R>): Promise<BatchWriter<R>> {
    if (!SPILL_NAME.test(options.name)) {
      throw new ValidationError(`writer: name must match ${SPILL_NAME}: ${options.name}`, "name");
    }
    const positive = [
      "batchSize",
      "maxAgeMs",
      "maxStatementRows",
      "maxBufferedRows",
      "writeTimeoutMs",
      "maxSpillBytes",
    ] as const;
    for (const key of positive) {
      const value = options[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new ValidationError(
          `Cannot open a writer as '${key}' must be a positive integer: current value is ${value}`,
          key,
        );
      }
    }
    const log = createLogger("writer", { table: options.spec.table, name: options.name });
    const path = spillPath(options.dataDir, options.spec.table, options.name);
    const spill = await openSpill(path, log);
    if (spill.rows > 0) log.info("replaying rows spilled earlier", { rows: spill.rows, path });
    const writer = new BatchWriter(options, spill, log);
    writer.#schedule();
    return writer;
  }

  /**
   * Accepts a row. It is written within `maxAgeMs` while the database answers.
   *
   * @param row the row (validated with the spec's `parse`)
   * @throws {ValidationError} when the row is invalid
   * @throws {UnavailableError} after {@linkcode stop}
   */
  push(row: R): void {
    if (this.#stopping) {
      throw new UnavailableError(`writer: ${this.#spec.table} writer is stopped`);
    }
    this.#spec.parse(row);
    const buffered = this.#rows.length;
    if (buffered >= this.#limits.maxBufferedRows * HARD_LIMIT_FACTOR) {
      if (this.#stats.dropped++ % 10_000 === 0) {
        this.#log.error("memory and spill both full: dropping rows", {
          dropped: this.#stats.dropped,
        });
      }
      return;
    }
    this.#rows.push(row);
    this.#pushedAt.push(Date.now());
    this.#stats.accepted++;
    if (
      !this.#busy &&
      (buffered === 0 || buffered + 1 >= this.#limits.batchSize ||
        buffered + 1 > this.#limits.maxBufferedRows)
    ) {
      this.#schedule();
    }
  }

  /** @returns counters for health and metrics */
  stats(): WriterStats {
    return {
      buffered: this.#rows.length,
      spilled: this.#spilled,
      spillBytes: this.#spill.bytes,
      down: this.#down,
      ...this.#stats,
      lastError: this.#lastError,
    };
  }

  /**
   * Resolves once nothing is buffered or spilled (everything pushed so far is committed). While
   * the database is down this waits for it to come back.
   */
  drained(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Stops the writer: waits for the write in flight, then writes what is buffered — or spills it
   * when the database is down or older rows are still in the spill file (they must go first, and
   * a stop should not wait for a long replay). With a `deadline`, the statement in flight then
   * is abandoned and everything still in memory spilled. Safe to call twice (the first call's
   * deadline holds).
   *
   * @param options `deadline`: epoch ms by which everything must be written or spilled
   */
  stop(options: { deadline?: number } = {}): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#arm(undefined);
      this.#stopDeadline = options.deadline;
      while (this.#busy && !this.#abandoned) {
        if (this.#busyKind === "spill" || options.deadline === undefined) await this.#busy;
        else if (!(await settlesWithin(this.#busy, options.deadline - Date.now()))) this.#abandon();
      }
      if (!this.#abandoned && !this.#down && this.#spilled === 0) {
        while (this.#rows.length > 0 && !this.#down) await this.#write();
      }
      if (this.#rows.length > 0) await this.#spillMemory();
      if (this.#rows.length > 0) {
        this.#log.error("rows lost on stop: neither written nor spilled", {
          rows: this.#rows.length,
        });
      }
      this.#notify();
    })();
    return this.#stopped;
  }

  #isDrained(): boolean {
    return this.#rows.length === 0 && this.#spilled === 0 && !this.#busy;
  }

  #notify(): void {
    if (!this.#isDrained() && !this.#stopping) return;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #schedule(): void {
    if (this.#busy || this.#stopping) return;
    const now = Date.now();
    const step = planStep(
      {
        buffered: this.#rows.length,
        oldestAt: this.#pushedAt[0],
        spilled: this.#spilled,
        down: this.#down,
        retryAt: this.#retryAt,
        spillRetryAt: this.#spillRetryAt,
      },
      now,
      this.#limits,
    );
    if (step.action === "wait") {
      this.#arm(step.until);
      return;
    }
    this.#arm(undefined);
    const work = step.action === "write" ? this.#write() : this.#spillMemory();
    this.#busyKind = step.action;
    this.#busy = work.finally(() => {
      this.#busy = undefined;
      this.#busyKind = undefined;
      this.#notify();
      this.#schedule();
    });
  }

  #arm(until: number | undefined): void {
    if (until === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = until;
    if (until === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.#schedule();
    }, Math.max(0, until - Date.now()));
  }

  /** Writes one batch: the next chunk of the spill file if it has rows, else of memory. */
  async #write(): Promise<void> {
    try {
      if (this.#spilled > 0) await this.#replayChunk();
      else await this.#writeMemoryChunk();
      if (this.#down) {
        this.#log.info("database answers again", {
          buffered: this.#rows.length,
          spilled: this.#spilled,
        });
      }
      this.#down = false;
      this.#failures = 0;
      this.#lastError = undefined;
    } catch (error) {
      this.#failures++;
      const delay = backoffDelay(this.#failures, {
        baseMs: this.#retryBaseMs,
        maxMs: this.#retryMaxMs,
        jitter: false,
      });
      this.#retryAt = Date.now() + delay;
      this.#lastError = error instanceof Error ? error.message : String(error);
      if (!this.#down) {
        this.#log.warn("write failed; buffering until the database answers", {
          error,
          buffered: this.#rows.length,
        });
      }
      this.#down = true;
    }
  }

  /** Gives up on the write in flight (stop ran out of time): it is cancelled, memory spilled. */
  #abandon(): void {
    this.#abandoned = true;
    this.#down = true;
    // Cancelling opens a connection to the server, which may hang too: nobody waits for it.
    Promise.resolve(this.#query?.cancel()).catch(() => {});
    this.#log.warn("the database did not answer by the stop deadline; spilling instead", {
      buffered: this.#rows.length,
    });
  }

  async #writeMemoryChunk(): Promise<void> {
    const prepared = this.#prepared?.rows[0] === this.#rows[0] ? this.#prepared : undefined;
    this.#prepared = undefined;
    const rows = prepared?.rows ?? this.#rows.slice(0, this.#maxStatementRows);
    const n = rows.length;
    try {
      await this.#insert(rows, this.#attempted === 0, prepared?.params, () => this.#prepare(n));
    } catch (error) {
      // Built for the rows after a success; after a failure the same rows go again.
      this.#prepared = undefined;
      this.#attempted = Math.max(this.#attempted, n);
      throw error;
    }
    // Stop spilled these rows meanwhile (they may also have committed: replay skips them).
    if (this.#abandoned) return;
    this.#attempted = Math.max(0, this.#attempted - n);
    this.#rows.splice(0, n);
    this.#pushedAt.splice(0, n);
    this.#stats.durable += n;
  }

  async #replayChunk(): Promise<void> {
    const chunk = await this.#spill.read(this.#replayOffset, this.#maxStatementRows);
    const rows: R[] = [];
    for (const value of chunk.values) {
      try {
        rows.push(this.#spec.parse(value));
      } catch (error) {
        this.#log.warn("skipping an invalid row in the spill file", { error });
      }
    }
    await this.#insert(rows, false);
    // Stop appended memory to the file meanwhile: it must be neither skipped nor removed.
    if (this.#abandoned) return;
    this.#replayOffset = chunk.next;
    this.#spilled = Math.max(0, this.#spilled - chunk.values.length);
    if (this.#spilled === 0 || chunk.next >= this.#spill.bytes || chunk.values.length === 0) {
      await this.#spill.remove();
      this.#replayOffset = 0;
      this.#spilled = 0;
      this.#log.info("spill file replayed");
    }
  }

  /**
   * Builds the literals of the statement after the one in flight (which holds the first `sent`
   * rows of memory), if a full batch already waits behind it.
   */
  #prepare(sent: number): void {
    if (this.#rows.length - sent < this.#limits.batchSize) return;
    const rows = this.#rows.slice(sent, sent + this.#maxStatementRows);
    this.#prepared = { rows, params: columnArrays(this.#spec, rows).map(arrayLiteral) };
  }

  /**
   * Inserts rows as one statement; rows the database refuses are found by halving and dropped.
   *
   * @param fresh none of the rows was ever sent, so an insert-only table can skip `on conflict`
   * @param params the rows' column literals, if already built
   * @param meanwhile work to do while the statement runs on the server
   */
  async #insert(
    rows: readonly R[],
    fresh: boolean,
    params?: string[],
    meanwhile?: () => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (this.#abandoned) throw new UnavailableError("writer: the write was abandoned at stop");
    const text = fresh && this.#plainText ? this.#plainText : this.#text;
    try {
      await this.#run(text, params ?? columnArrays(this.#spec, rows).map(arrayLiteral), meanwhile);
      this.#stats.written += rows.length;
    } catch (error) {
      // A duplicate id pushed twice: the idempotent statement skips it.
      if (text !== this.#text && isUniqueViolation(error)) return await this.#insert(rows, false);
      if (!isRowError(error)) throw error;
      if (rows.length === 1) {
        this.#stats.dropped++;
        this.#log.error("the database refused a row; dropping it", { error, row: rows[0] });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.#insert(rows.slice(0, half), fresh);
      await this.#insert(rows.slice(half), fresh);
    }
  }

  /**
   * Runs one statement, cancelling it after `writeTimeoutMs`. A cancelled statement that had
   * reached the server may still commit; the retry then uses `on conflict`, so it cannot
   * duplicate, and it waits on the first one's row locks, so it commits after it.
   */
  async #run(text: string, params: string[], meanwhile?: () => void): Promise<void> {
    const limit = this.#stopDeadline === undefined
      ? this.#writeTimeoutMs
      : Math.min(this.#writeTimeoutMs, this.#stopDeadline - Date.now());
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

  async #spillMemory(): Promise<void> {
    // Pushes go on while the append is awaited: only the rows taken now leave memory.
    const n = this.#rows.length;
    if (n === 0) return;
    try {
      await this.#spill.append(this.#rows.slice(0, n));
    } catch (error) {
      this.#spillRetryAt = Date.now() + SPILL_RETRY_MS;
      this.#log.error("cannot spill rows; keeping them in memory", { error, rows: n });
      return;
    }
    this.#rows.splice(0, n);
    this.#pushedAt.splice(0, n);
    this.#attempted = 0;
    this.#prepared = undefined;
    this.#spilled += n;
    this.#stats.durable += n;
    this.#log.info("spilled rows to disk", { rows: n, path: this.#spill.path });
    if (this.#spill.bytes > this.#maxSpillBytes) await this.#trimSpill();
  }

  /** Drops the oldest spilled rows to stay under the cap: a counted, logged loss. */
  async #trimSpill(): Promise<void> {
    try {
      const keep = Math.floor(this.#maxSpillBytes * SPILL_KEEP_FRACTION);
      const { dropped } = await this.#spill.compact(this.#replayOffset, keep);
      this.#replayOffset = 0;
      this.#spilled = this.#spill.rows;
      this.#stats.dropped += dropped;
      this.#log.error("spill file full: dropped the oldest rows", {
        dropped,
        droppedSinceOpen: this.#stats.dropped,
        kept: this.#spilled,
        maxBytes: this.#maxSpillBytes,
        path: this.#spill.path,
      });
    } catch (error) {
      this.#log.error("cannot trim the spill file; it stays over its cap", { error });
    }
  }
}
