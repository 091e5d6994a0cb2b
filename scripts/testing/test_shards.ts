/**
 * Splitting the suite over several `deno test` processes (`deno task test`): which files, in which
 * process, and one JUnit report from theirs. Separate processes, not `deno test --parallel`: that
 * runs files side by side in ONE process, so a test's "no ffmpeg child of this process left" or
 * a namespace named after the process id would see another file's, and its output of two tests
 * interleaves inside one output block (tried on Deno 2.9).
 *
 * @module
 */

const TEST_FILE = /(?:^|[._])test\.(?:ts|tsx|mts|js|mjs|jsx)$/;

/**
 * Lists the test files under `dir` the way `deno test <dir>` finds them (`*_test.ts`, `*.test.ts`,
 * `test.ts`, ...), sorted.
 *
 * @param dir a directory, relative to the working directory
 * @returns paths such as `test/models/box_test.ts`
 */
export async function listTestFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory) files.push(...await listTestFiles(path));
    else if (entry.isFile && TEST_FILE.test(entry.name)) files.push(path);
  }
  return files.sort();
}

/**
 * Seconds per test file in a JUnit report as Deno writes it (one `<testsuite>` per file, steps
 * are test cases named with `>` and not counted again).
 *
 * @param xml the report
 * @returns `test/…_test.ts` → seconds
 */
export function fileTimes(xml: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const suite of xml.matchAll(/<testsuite name="\.\/([^"]+)"[\s\S]*?<\/testsuite>/g)) {
    let seconds = 0;
    for (const test of suite[0].matchAll(/<testcase name="([^"]*)"[^>]*\btime="([\d.]+)"/g)) {
      if (!test[1]!.includes(" &gt; ")) seconds += Number(test[2]);
    }
    times.set(suite[1]!, seconds);
  }
  return times;
}

/**
 * Splits files into `n` groups of about equal expected time: the longest first, each into the
 * group with the least so far. Files without a time (a fresh clone has no report) count as the
 * median of the known ones, so without any they are dealt in turn.
 *
 * @param files test files
 * @param seconds expected seconds per file, e.g. from the last run's report
 * @param n how many groups
 * @returns `n` groups (some empty when there are fewer files), each sorted
 * @throws {RangeError} when `n` is not a positive integer
 */
export function planShards(files: string[], seconds: Map<string, number>, n: number): string[][] {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot split the tests as 'n' must be a positive integer: current value is ${n}`,
    );
  }
  const known = files.flatMap((file) => seconds.get(file) ?? []).sort((a, b) => a - b);
  const typical = known[Math.floor(known.length / 2)] ?? 1;
  const weight = (file: string) => seconds.get(file) ?? typical;
  const groups = Array.from({ length: n }, () => ({ files: [] as string[], total: 0 }));
  const order = [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
  for (const file of order) {
    const lightest = groups.reduce((min, g) => (g.total < min.total ? g : min));
    lightest.files.push(file);
    lightest.total += weight(file);
  }
  return groups.map((g) => g.files.sort());
}

/**
 * Joins the JUnit reports of several runs into one, as if one run had written it.
 *
 * @param reports the reports' XML
 * @returns one `<testsuites>` holding every `<testsuite>`
 */
export function mergeJunit(reports: string[]): string {
  const suites = reports.flatMap((xml) => xml.match(/<testsuite\b[\s\S]*?<\/testsuite>/g) ?? []);
  const attr = (name: string) => {
    const pattern = new RegExp(`<testsuites[^>]*\\b${name}="([\\d.]+)"`);
    let sum = 0;
    for (const xml of reports) sum += Number(pattern.exec(xml)?.[1] ?? 0);
    return sum;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="deno test" tests="${attr("tests")}" failures="${attr("failures")}" ` +
    `errors="${attr("errors")}" time="${attr("time").toFixed(3)}">\n` +
    suites.map((s) => `    ${s}\n`).join("") + `</testsuites>\n`;
}
