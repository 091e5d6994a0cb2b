/**
 * Benchmark of batched persistence (GUIDE §5: batched writes ≥ 30x one row per statement and
 * ≥ 50% of a raw multi-row INSERT, same run). For the real PostgreSQL (`DATABASE_URL`, or a
 * throwaway cluster started here) and then the embedded PGlite, into the real `detections`
 * table with its indexes, it prints rows/s for:
 *
 * - one awaited `INSERT` per row;
 * - the writer (actors/store/writer.ts) with its defaults, all rows pushed at once then drained;
 * - a raw multi-row `INSERT ... VALUES` of 500 rows per statement, rows prepared beforehand;
 * - a raw `INSERT ... SELECT * FROM unnest(...)` of 500 rows (the statement the writer uses).
 *
 * The raw statements have no `on conflict` clause, like the writer's first attempt at a batch of
 * an insert-only table (retries and replays add it).
 *
 * The four runs alternate for `ROUNDS` rounds and the median of each is kept, so a noisy
 * neighbour on the machine hurts all of them alike.
 *
 * Bench rows 3a/3b: the writer against the fastest raw batch (unnest of 500 rows), goal ≥ 0.9, on
 * each database; one INSERT per row is shown for scale (that ratio moves with commit latency).
 *
 * Usage: `deno task bench writer`, or alone `deno run -A scripts/bench_writer.ts [rows]`.
 *
 * @module
 */
import { openDatabase } from "../models/store/database.ts";
import { type DetectionRow, DETECTIONS, newDetection } from "../models/store/detections.ts";
import { BatchWriter } from "../actors/store/writer.ts";
import { columnArrays, insertStatement } from "../models/store/table_spec.ts";
import { arrayLiteral } from "../models/store/array_literal.ts";
import { startPostgresCluster } from "../test/support/postgres_cluster.ts";
import { configureLogging } from "../models/log.ts";
import type postgres from "postgres";
import { registerRow, type RowOptions } from "./bench/registry.ts";

const ROUNDS = 5;
const RAW_BATCH = 500;
const ONE_PER_ROW_ROWS = 1_000;

/** Rows/s of each method for one database. */
export interface BenchResult {
  kind: string;
  onePerRow: number;
  writer: number;
  rawValues: number;
  rawUnnest: number;
}

function makeRows(camera: string, n: number, start: number): DetectionRow[] {
  const labels = ["person", "car", "dog", "bicycle"];
  const tracks = Array.from({ length: 17 }, () => crypto.randomUUID());
  return Array.from({ length: n }, (_, i) =>
    newDetection({
      cameraId: camera,
      ts: start + i,
      frame: i,
      trackId: tracks[i % tracks.length]!,
      label: labels[i % labels.length]!,
      score: 0.5 + (i % 50) / 100,
      box: [0.1, 0.2, 0.3, 0.4],
    }));
}

function valuesStatement(rows: number): string {
  const columns = DETECTIONS.columns.length;
  const tuples = Array.from({ length: rows }, (_, r) => {
    const params = Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`);
    return `(${params.join(",")})`;
  });
  const names = DETECTIONS.columns.map((column) => column.name).join(", ");
  return `insert into detections (${names}) values ${tuples.join(",")}`;
}

function rowValues(row: DetectionRow): (string | number | boolean | null)[] {
  return DETECTIONS.columns.map((column) => column.value(row));
}

async function timed(rows: number, work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return rows / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function benchOne(
  kind: string,
  sql: postgres.Sql,
  dataDir: string,
  rows: number,
  rounds: number,
): Promise<BenchResult> {
  const camera = crypto.randomUUID();
  await sql`insert into cameras (id, name, source_url) values (${camera}, ${"bench " + kind},
            'rtsp://127.0.0.1/bench')`;
  let clock = Date.now();
  const fresh = (n: number) => {
    const made = makeRows(camera, n, clock);
    clock += n;
    return made;
  };
  const values = valuesStatement(RAW_BATCH);
  const unnest = insertStatement(DETECTIONS, { idempotent: false });
  const rawValues = async (batch: DetectionRow[]) => {
    for (let i = 0; i < batch.length; i += RAW_BATCH) {
      await sql.unsafe(values, batch.slice(i, i + RAW_BATCH).flatMap(rowValues));
    }
  };
  const rawUnnest = async (batch: DetectionRow[]) => {
    for (let i = 0; i < batch.length; i += RAW_BATCH) {
      await sql.unsafe(
        unnest,
        columnArrays(DETECTIONS, batch.slice(i, i + RAW_BATCH)).map(arrayLiteral),
      );
    }
  };
  const viaWriter = async (batch: DetectionRow[]) => {
    const writer = await BatchWriter.open({
      sql,
      spec: DETECTIONS,
      name: camera,
      dataDir,
      maxBufferedRows: batch.length + 1,
    });
    for (const row of batch) writer.push(row);
    await writer.drained();
    await writer.stop();
    if (writer.stats().written !== batch.length) throw new Error("bench: the writer lost rows");
  };

  // Warm up connections, prepared statements and the partitions' first pages.
  await rawValues(fresh(RAW_BATCH * 2));
  await rawUnnest(fresh(RAW_BATCH * 2));
  await viaWriter(fresh(RAW_BATCH * 2));

  const one = "insert into detections (id, camera_id, ts, frame, track_id, label, score, x1, y1, " +
    "x2, y2) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
  const onePerRowInsert = async (batch: DetectionRow[]) => {
    for (const row of batch) await sql.unsafe(one, rowValues(row));
  };
  await onePerRowInsert(fresh(100));

  const results = {
    onePerRow: [] as number[],
    writer: [] as number[],
    rawValues: [] as number[],
    rawUnnest: [] as number[],
  };
  for (let round = 0; round < rounds; round++) {
    const single = fresh(ONE_PER_ROW_ROWS);
    results.onePerRow.push(await timed(single.length, () => onePerRowInsert(single)));
    const a = fresh(rows), b = fresh(rows), c = fresh(rows);
    results.rawValues.push(await timed(rows, () => rawValues(a)));
    results.writer.push(await timed(rows, () => viaWriter(b)));
    results.rawUnnest.push(await timed(rows, () => rawUnnest(c)));
  }
  return {
    kind,
    onePerRow: median(results.onePerRow),
    writer: median(results.writer),
    rawValues: median(results.rawValues),
    rawUnnest: median(results.rawUnnest),
  };
}

function report(result: BenchResult): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);
  const r = (x: number) => x.toFixed(2);
  return [
    `${result.kind}:`,
    `  one INSERT per row        ${n(result.onePerRow)} rows/s`,
    `  writer                    ${n(result.writer)} rows/s`,
    `  raw multi-row VALUES x500 ${n(result.rawValues)} rows/s`,
    `  raw unnest x500           ${n(result.rawUnnest)} rows/s`,
    `  writer / one-per-row      ${r(result.writer / result.onePerRow)}x (goal >= 30x)`,
    `  writer / raw VALUES       ${r(result.writer / result.rawValues)} (goal >= 0.50)`,
    `  writer / raw unnest       ${r(result.writer / result.rawUnnest)}`,
  ].join("\n");
}

/**
 * Runs the benchmark on the real PostgreSQL and on the embedded database and prints the figures.
 *
 * @param args `[rows]` per measured run (default 50,000)
 * @returns the results, real PostgreSQL first
 */
export async function main(args: string[] = Deno.args): Promise<BenchResult[]> {
  return await runWriter(Number(args[0] ?? 50_000), ROUNDS, console.log);
}

/**
 * Measures both databases.
 *
 * @param rows rows per measured run
 * @param rounds alternating rounds (the median is kept)
 * @param print receives each database's report
 * @returns the results, real PostgreSQL first
 */
export async function runWriter(
  rows: number,
  rounds: number,
  print: (text: string) => void = () => {},
): Promise<BenchResult[]> {
  if (!Number.isInteger(rows) || rows < RAW_BATCH) {
    throw new Error(`bench: rows must be an integer ≥ ${RAW_BATCH}: current value is ${rows}`);
  }
  configureLogging("warn");
  const results: BenchResult[] = [];
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-" });
  const url = Deno.env.get("DATABASE_URL");
  const cluster = url ? undefined : await startPostgresCluster();
  try {
    for (const kind of ["postgres", "embedded"] as const) {
      const dir = `${dataDir}/${kind}`;
      const db = await openDatabase({
        url: kind === "postgres" ? url ?? cluster!.url : undefined,
        dataDir: dir,
      });
      try {
        const result = await benchOne(kind, db.sql, dir, rows, rounds);
        print(report(result));
        results.push(result);
      } finally {
        await db.sql`delete from detections where camera_id in (
                       select id from cameras where name like 'bench %')`.catch(() => {});
        await db.sql`delete from cameras where name like 'bench %'`.catch(() => {});
        await db.close();
      }
    }
  } finally {
    await cluster?.close();
    await Deno.remove(dataDir, { recursive: true });
  }
  return results;
}

function writerRow(kind: "postgres" | "embedded", order: string, title: string) {
  registerRow({
    id: `writer-${kind}`,
    order,
    title,
    async run(options: RowOptions) {
      const results = await options.shared("writer", () =>
        runWriter(
          options.quick ? 10_000 : 50_000,
          options.quick ? 3 : ROUNDS,
          (text) => options.log(text.split("\n").join(" ")),
        ));
      const r = results.find((x) => x.kind === kind);
      if (!r) throw new Error(`bench: no ${kind} result`);
      const ratio = r.writer / r.rawUnnest;
      return {
        figure: r.writer,
        unit: "rows/s",
        baseline: r.rawUnnest,
        baselineLabel: "raw unnest x500",
        ratio,
        goal: "≥ 0.9",
        pass: ratio >= 0.9,
        note: `one INSERT per row ${Math.round(r.onePerRow).toLocaleString("en-US")} rows/s ` +
          `(writer ${(r.writer / r.onePerRow).toFixed(1)}x, moves with commit latency); raw ` +
          `multi-row VALUES x500 ${Math.round(r.rawValues).toLocaleString("en-US")} rows/s; ` +
          `medians of ${options.quick ? 3 : ROUNDS} alternating rounds`,
        details: { ...r },
      };
    },
  });
}

writerRow("postgres", "3a", "writer rows/s, PostgreSQL 15");
writerRow("embedded", "3b", "writer rows/s, embedded (PGlite)");

if (import.meta.main) await main();
