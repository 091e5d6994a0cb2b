/**
 * `deno task bench [--quick] [--seconds N] [row...]`: runs the benchmarks and prints ONE table
 * (Markdown) at the end, each row a figure measured side by side, in the same run, against its
 * baseline; the table also goes as JSON to `$VIGIL_DATA_DIR/bench/` (default `./data/bench/`,
 * `bench-<time>.json` and `latest.json`).
 *
 * Rows register themselves from the `scripts/bench_*.ts` modules (see bench/registry.ts), so a
 * new benchmark slots in by adding its file. Today: 1 pipeline, 2 event-loop lag (both
 * bench_pipeline.ts), 3a/3b writer on PostgreSQL and embedded (bench_writer.ts), 5 cameras per
 * box, 6a RSS per camera, 6b RSS drift (bench_cameras.ts), 5b cameras on quiet scenes
 * (bench_cameras_quiet.ts), 5c capture of a 1080p main stream vs its sub-stream
 * (bench_substream.ts), 7a–7c live latency and transcode CPU (bench_live.ts), 8 recall against
 * the full-frame fp32 detector (bench_accuracy.ts), 8b a batch of motion crops against the crops one
 * by one and the whole frame (bench_crop_batch.ts), 8c what crops save on the quiet scene
 * (bench_crops_quiet.ts). Name rows (or a prefix: `writer`) to
 * run only those. `--quick` runs every row in about two minutes (shorter rounds and windows);
 * `--seconds N` sets each row's main duration.
 *
 * bench_detector.ts, bench_capture.ts, bench_recording.ts (recorder CPU per camera, bytes per
 * hour, clip compile time) and bench_relay.ts (the relay's CPU per reader, latency, RSS per
 * stream) are standalone studies (`deno run -A scripts/<file>`) until they register a row (row 4).
 * Timings are never asserted in tests; these numbers go into the notes of the work they measure.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { registeredRows, type RowOptions } from "./bench/registry.ts";
import {
  benchDocument,
  describeMachine,
  formatTable,
  loadAverage,
  rowIdentity,
  type TableRow,
} from "./bench/report.ts";

const SCRIPTS = new URL("./", import.meta.url);

/**
 * Imports every `bench_*.ts` beside this file that registers rows (calls `registerRow`), so their
 * rows register; other bench files (standalone studies, Worker modules) are left alone.
 */
async function loadRows(): Promise<void> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(SCRIPTS)) {
    if (!entry.isFile || !/^bench_[a-z0-9_]+\.ts$/.test(entry.name)) continue;
    const text = await Deno.readTextFile(new URL(entry.name, SCRIPTS));
    if (text.includes("registerRow(")) names.push(entry.name);
  }
  for (const name of names.sort()) await import(new URL(name, SCRIPTS).href);
}

/**
 * Runs the selected rows and prints the table.
 *
 * @param args command-line arguments
 * @returns the finished rows
 */
export async function main(args: string[] = Deno.args): Promise<TableRow[]> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      seconds: { type: "string" },
      out: { type: "string" },
    },
  });
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) {
    throw new Error(
      `bench: --seconds must be a positive number: current value is ${values.seconds}`,
    );
  }
  await loadRows();
  const all = registeredRows();
  const chosen = positionals.length === 0
    ? all
    : all.filter((row) => positionals.some((p) => row.id === p || row.id.startsWith(`${p}-`)));
  const unknown = positionals.filter((p) =>
    !all.some((row) => row.id === p || row.id.startsWith(`${p}-`))
  );
  if (unknown.length > 0) {
    console.error(
      `bench: unknown row ${unknown.join(", ")}; choose from ${all.map((r) => r.id).join(", ")}`,
    );
    Deno.exit(2);
  }
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  const memo = new Map<string, Promise<unknown>>();
  const options: RowOptions = {
    quick: values.quick ?? false,
    seconds,
    selected: new Set(chosen.map((r) => r.id)),
    shared<T>(key: string, make: () => Promise<T>): Promise<T> {
      let pending = memo.get(key) as Promise<T> | undefined;
      if (!pending) {
        pending = make();
        memo.set(key, pending);
      }
      return pending;
    },
    log: (line) => console.error(`bench: ${line}`),
  };
  const done: TableRow[] = [];
  for (const row of chosen) {
    options.log(`${row.order} ${row.title} ...`);
    const started = performance.now();
    try {
      const result = await row.run(options);
      done.push({ ...rowIdentity(row), result, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.log(`${row.id} failed: ${message}`);
      done.push({
        ...rowIdentity(row),
        error: message,
        seconds: (performance.now() - started) / 1000,
      });
    }
  }
  const machine = describeMachine(loadBefore);
  console.log(
    `\nVigil bench (${options.quick ? "--quick" : "full"}), ${startedAt}, ${machine.cores} cores ` +
      `${machine.cpu}, ${machine.memoryGiB} GiB, load ${machine.load.before} → ${machine.load.after}\n`,
  );
  console.log(formatTable(done));
  const dir = values.out ?? `${Deno.env.get("VIGIL_DATA_DIR") ?? "./data"}/bench`;
  await Deno.mkdir(dir, { recursive: true });
  const doc = benchDocument(done, machine, {
    quick: options.quick,
    seconds,
    startedAt,
    command: `deno task bench ${args.join(" ")}`.trim(),
  });
  const text = JSON.stringify(doc, null, 2) + "\n";
  const file = `${dir}/bench-${startedAt.replace(/[:.]/g, "-")}.json`;
  await Deno.writeTextFile(file, text);
  await Deno.writeTextFile(`${dir}/latest.json`, text);
  console.log(`\n(JSON: ${file})`);
  if (done.some((r) => r.error)) Deno.exitCode = 1;
  return done;
}

if (import.meta.main) await main();
