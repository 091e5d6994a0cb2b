/**
 * The writer: batched, durable persistence of one camera's rows into one table. Pushed rows wait
 * in memory and go out as one `unnest` statement (models/store/batch_insert.ts) per `batchSize`
 * rows or `maxAgeMs`, one statement in flight, so batches commit in push order. While the database
 * is down they spill to an append-only file (models/store/spill.ts), replayed first when it
 * returns; `stop()` writes or spills everything, by a deadline if given. A class, not an XState
 * actor: an awaitable stop is what a v5 actor cannot give. Guarantees, measurements and the
 * alternatives: docs/decisions/writer-unnest.md.
 *
 * @module
 */
import { UnavailableError } from "../../models/errors.ts";
import { createLogger, type Logger } from "../../models/log.ts";
import { openSpill, type SpillFile } from "../../models/store/spill.ts";
import { spillPath } from "../../models/store/camera_data.ts";
import type { TableSpec } from "../../models/store/table_spec.ts";
import { planStep, type WriterLimits } from "../../models/store/write_plan.ts";
import { BatchInsert } from "../../models/store/batch_insert.ts";
import {
  type WriterOptions,
  type WriterSettings,
  writerSettings,
  type WriterStats,
} from "../../models/store/writer_options.ts";
import { backoffDelay } from "../../models/backoff.ts";
import { settlesWithin } from "../../models/timeout.ts";

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
  readonly #spec: TableSpec<R>;
  readonly #insert: BatchInsert<R>;
  readonly #spill: SpillFile;
  readonly #log: Logger;
  readonly #limits: WriterLimits;
  readonly #maxStatementRows: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
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
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt: number | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #waiters: (() => void)[] = [];
  #stats = { accepted: 0, durable: 0, written: 0, dropped: 0 };
  #lastError: string | undefined;
  /** The next statement's rows (the head of memory) with their column literals, built early. */
  #prepared: { rows: R[]; params: string[] } | undefined;

  private constructor(
    options: WriterOptions<R>,
    settings: WriterSettings,
    spill: SpillFile,
    log: Logger,
  ) {
    this.#spec = options.spec;
    this.#insert = new BatchInsert(options.sql, options.spec, {
      log,
      writeTimeoutMs: settings.writeTimeoutMs,
      counts: this.#stats,
      fence: options.fence,
    });
    this.#spill = spill;
    this.#log = log;
    this.#spilled = spill.rows;
    this.#limits = settings.limits;
    this.#maxStatementRows = settings.maxStatementRows;
    this.#retryBaseMs = settings.retryBaseMs;
    this.#retryMaxMs = settings.retryMaxMs;
    this.#maxSpillBytes = settings.maxSpillBytes;
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
    const settings = writerSettings(options);
    const log = createLogger("writer", { table: options.spec.table, name: options.name });
    const path = spillPath(options.dataDir, options.spec.table, options.name);
    const spill = await openSpill(path, log);
    if (spill.rows > 0) log.info("replaying rows spilled earlier", { rows: spill.rows, path });
    const writer = new BatchWriter(options, settings, spill, log);
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
      this.#insert.deadline = options.deadline;
      while (this.#busy && !this.#insert.abandoned) {
        if (this.#busyKind === "spill" || options.deadline === undefined) await this.#busy;
        else if (!(await settlesWithin(this.#busy, options.deadline - Date.now()))) this.#abandon();
      }
      if (!this.#insert.abandoned && !this.#down && this.#spilled === 0) {
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
    this.#insert.abandon();
    this.#down = true;
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
      await this.#insert.insert(
        rows,
        this.#attempted === 0,
        prepared?.params,
        () => this.#prepare(n),
      );
    } catch (error) {
      // Built for the rows after a success; after a failure the same rows go again.
      this.#prepared = undefined;
      this.#attempted = Math.max(this.#attempted, n);
      throw error;
    }
    // Stop spilled these rows meanwhile (they may also have committed: replay skips them).
    if (this.#insert.abandoned) return;
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
    await this.#insert.insert(rows, false);
    // Stop appended memory to the file meanwhile: it must be neither skipped nor removed.
    if (this.#insert.abandoned) return;
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
    this.#prepared = { rows, params: this.#insert.literals(rows) };
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
