/**
 * The test command (`deno task test`): starts the services the suite needs — one throwaway
 * PostgreSQL 15 cluster on 127.0.0.1 — runs `deno test`, stops them, and prints one closing line
 * `N passed, M failed`. Exits non-zero when any test fails.
 *
 * Extra arguments are passed to `deno test` (e.g. a test file to run alone).
 *
 * @module
 */
import { startPostgresCluster } from "../test/support/postgres_cluster.ts";

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

async function main(args: string[]): Promise<number> {
  const root = new URL("../", import.meta.url).pathname;
  const report = `${root}test-results.xml`;
  await Deno.remove(report).catch(() => {});
  const cluster = await startPostgresCluster();
  let code: number;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", `--junit-path=${report}`, ...(args.length ? args : ["test/"])],
      cwd: root,
      env: { VIGIL_TEST_DATABASE_URL: cluster.url },
      stdin: "null",
    }).spawn();
    // Interrupted (Ctrl-C, a CI timeout): stop the tests, then still stop the cluster below.
    const stop = () => child.kill("SIGTERM");
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    ({ code } = await child.status);
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  } finally {
    await cluster.close();
  }
  let counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  try {
    counts = countJunit(await Deno.readTextFile(report));
  } catch {
    // No report: deno test failed before running anything (type error); count that as a failure.
  }
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
  return counts.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
