/**
 * The test command (`deno task test`): starts the services the suite needs — one throwaway
 * PostgreSQL 15 cluster on 127.0.0.1, and one migrated embedded database that the tests copy
 * (instead of every test file paying PGlite's initdb) — runs `deno test`, stops them, and prints
 * one closing line `N passed, M failed`. Exits non-zero when any test fails.
 *
 * Extra arguments are passed to `deno test` (e.g. a test file to run alone). The whole suite
 * runs as `VIGIL_TEST_JOBS` (default 2) `deno test` processes side by side, its files split by
 * the last run's times (scripts/testing/test_shards.ts), with one JUnit report merged from theirs.
 * `VIGIL_TEST_VERBOSE=1` prints everything the tests print; `VIGIL_TEST_REPORT` names the JUnit
 * file (default `test-results.xml` at the root).
 *
 * Quiet output: a passing test's logs are dropped, a failing test's are printed with its result.
 * Decision: filter `deno test`'s stdout here (scripts/testing/test_output.ts) rather than give
 * models/log.ts a test sink. `deno test` already frames everything a test prints — its log lines,
 * a Worker's, an inherited ffmpeg's — between `output` markers before the test's result line
 * (tried on Deno 2.9), so one filter on that stream sees all of it and product code stays as it
 * runs in production; a log sink would miss subprocesses and Workers. Deno's own messages (type
 * check, crashes) come on stderr, which is passed through untouched.
 *
 * @module
 */
import { startPostgresCluster } from "../test/support/postgres_cluster.ts";
import { makeEmbeddedTemplate, TEMPLATE_ENV } from "../test/support/databases.ts";
import { configureLogging } from "../models/log.ts";
import { createQuietFilter } from "./testing/test_output.ts";
import { fileTimes, listTestFiles, mergeJunit, planShards } from "./testing/test_shards.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Counts of a JUnit report. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts test cases in a JUnit XML report as Deno writes it: one `<testcase>` per test (steps are
 * nested test cases named with `>`, which we do not count twice).
 *
 * @param xml the report
 * @returns the counts
 */
export function countJunit(xml: string): TestCounts {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  for (const testcase of cases) {
    const name = /name="([^"]*)"/.exec(testcase)?.[1] ?? "";
    if (name.includes(" &gt; ") || name.includes(" > ")) continue;
    if (/<failure\b|<error\b/.test(testcase)) counts.failed++;
    else if (/<skipped\b/.test(testcase)) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}

/**
 * Copies `deno test`'s stdout to ours, through the quiet filter unless `verbose`.
 *
 * @param stdout the child's stdout
 * @param verbose print everything
 * @param signal stops reading (a process the tests leaked may hold the pipe open)
 */
async function relay(
  stdout: ReadableStream<Uint8Array>,
  verbose: boolean,
  signal: AbortSignal,
): Promise<void> {
  const filter = createQuietFilter();
  const encoder = new TextEncoder();
  const print = async (text: string) => {
    if (text !== "") await Deno.stdout.write(encoder.encode(text));
  };
  try {
    for await (const text of stdout.pipeThrough(new TextDecoderStream(), { signal })) {
      await print(verbose ? text : filter.write(text));
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (!verbose) await print(filter.end());
}

/**
 * Runs one `deno test` process and relays its output.
 *
 * @param args what to test (files, flags)
 * @param report its JUnit file
 * @param env the services' addresses
 * @returns its exit code
 */
async function runDenoTest(
  args: string[],
  report: string,
  env: Record<string, string>,
): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", `--junit-path=${report}`, ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
  }).spawn();
  // Interrupted (Ctrl-C, a CI timeout): stop the tests; the caller still stops the services.
  const stop = () => child.kill("SIGTERM");
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const leaked = new AbortController();
  const relaying = relay(child.stdout, Deno.env.get("VIGIL_TEST_VERBOSE") === "1", leaked.signal);
  const { code } = await child.status;
  const timer = setTimeout(() => leaked.abort(), 5000);
  await relaying;
  clearTimeout(timer);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return code;
}

/**
 * How many `deno test` processes share the whole suite: `VIGIL_TEST_JOBS`, else 2 (most tests
 * wait on real-time video and timers, so two keep a 2-core box busy); a run of chosen files or
 * with flags is one process, as `deno test` alone would be.
 */
function jobs(args: string[]): number {
  if (args.length > 0) return 1;
  const asked = Number(Deno.env.get("VIGIL_TEST_JOBS") ?? 2);
  return Number.isInteger(asked) && asked >= 1 ? asked : 2;
}

async function main(args: string[]): Promise<number> {
  const report = Deno.env.get("VIGIL_TEST_REPORT") ?? `${ROOT}test-results.xml`;
  // The last run's times balance this run's processes.
  const last = fileTimes(await Deno.readTextFile(report).catch(() => ""));
  await Deno.remove(report).catch(() => {});
  configureLogging("warn");
  const n = jobs(args);
  const shards = n === 1 ? [args.length > 0 ? args : ["test/"]] : planShards(
    await listTestFiles(`${ROOT}test`).then((files) => files.map((f) => f.slice(ROOT.length))),
    last,
    n,
  )
    .filter((files) => files.length > 0);
  const reports = shards.map((_, i) => shards.length === 1 ? report : `${report}.${i + 1}`);
  const cluster = await startPostgresCluster();
  let template: string | undefined;
  let codes: number[];
  try {
    template = await makeEmbeddedTemplate();
    const env = { VIGIL_TEST_DATABASE_URL: cluster.url, [TEMPLATE_ENV]: template };
    codes = await Promise.all(shards.map((shard, i) => runDenoTest(shard, reports[i]!, env)));
  } finally {
    await cluster.close();
    if (template) await Deno.remove(template, { recursive: true });
  }
  if (shards.length > 1) {
    const xml = await Promise.all(reports.map((r) => Deno.readTextFile(r).catch(() => "")));
    await Deno.writeTextFile(report, mergeJunit(xml));
    for (const r of reports) await Deno.remove(r).catch(() => {});
  }
  let counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  try {
    counts = countJunit(await Deno.readTextFile(report));
  } catch {
    // No report: deno test failed before running anything (type error); count that as a failure.
  }
  if (codes.some((code) => code !== 0) && counts.failed === 0) counts.failed = 1;
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
  return counts.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
