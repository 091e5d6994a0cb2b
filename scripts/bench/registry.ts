/**
 * The bench table's rows. A row is a small module that registers itself when imported: an id,
 * its place in the table, and `run(options)` giving one measured figure against its baseline
 * from the same run. `scripts/bench.ts` imports every `scripts/bench_*.ts`, so a new benchmark
 * (recorder, relay) slots in by calling {@linkcode registerRow} in its own file.
 *
 * @module
 */

/** What one row measured. */
export interface RowResult {
  /** The measured figure. */
  figure: number;
  /** Its unit ("frames/s", "ms", "rows/s", "cameras", "MB"). */
  unit: string;
  /** The baseline measured in the same run, `null` when the row has none. */
  baseline: number | null;
  /** What the baseline is ("raw ffmpeg + ORT"). */
  baselineLabel?: string;
  /** `figure / baseline` (or the row's own ratio), `null` without a baseline. */
  ratio: number | null;
  /** The goal, as text ("≥ 0.9", "< 20 ms"). */
  goal: string;
  /** Whether the goal is met; `null` when the row only informs. */
  pass: boolean | null;
  /** Details: rounds, ranges, CPU split, the command's options. */
  note?: string;
  /** Raw numbers for the JSON file. */
  details?: Record<string, unknown>;
}

/** Options every row gets. */
export interface RowOptions {
  /** `--quick`: every row in about two minutes altogether. */
  quick: boolean;
  /** `--seconds N`: overrides the main duration of each row (rounds, windows, runs). */
  seconds?: number;
  /** Ids of the rows selected for this run (a shared run may skip work nobody asked for). */
  selected: ReadonlySet<string>;
  /**
   * Runs `make` once per bench run and key, and hands every row the same result: rows measured
   * by one experiment (pipeline and lag, cameras and memory) share it.
   */
  shared<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** A row of the table. */
export interface BenchRow {
  /** Short id for the command line ("pipeline"). */
  id: string;
  /** Place in the table, e.g. "1", "3a" (sorted naturally). */
  order: string;
  /** What the figure is. */
  title: string;
  /** Measures it. */
  run(options: RowOptions): Promise<RowResult>;
}

const rows = new Map<string, BenchRow>();

/**
 * Adds a row to the table (called at import by each bench module).
 *
 * @param row the row
 * @throws Error when another row has the same id
 */
export function registerRow(row: BenchRow): void {
  if (rows.has(row.id)) throw new Error(`bench: two rows with the id ${row.id}`);
  rows.set(row.id, row);
}

/**
 * The registered rows in table order.
 *
 * @returns rows sorted by `order`
 */
export function registeredRows(): BenchRow[] {
  return [...rows.values()].sort((a, b) => a.order.localeCompare(b.order, "en", { numeric: true }));
}
