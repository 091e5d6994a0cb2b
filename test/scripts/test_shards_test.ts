import assert from "node:assert/strict";
import { countJunit } from "../../scripts/test.ts";
import {
  fileTimes,
  listTestFiles,
  mergeJunit,
  planShards,
} from "../../scripts/testing/test_shards.ts";

/** A report as Deno 2.9 writes it: one suite per file, steps named with `>`. */
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="4" failures="1" errors="0" time="12.500">
    <testsuite name="./test/a_test.ts" tests="3" disabled="0" errors="0" failures="1">
        <testcase name="slow" classname="./test/a_test.ts" time="10.000" line="1" col="6">
        </testcase>
        <testcase name="slow &gt; step" classname="./test/a_test.ts" time="9.000" line="2" col="6">
        </testcase>
        <testcase name="fails" classname="./test/a_test.ts" time="0.500" line="3" col="6">
            <failure message="Uncaught Error: x">Error: x</failure>
        </testcase>
    </testsuite>
    <testsuite name="./test/b_test.ts" tests="1" disabled="0" errors="0" failures="0">
        <testcase name="quick" classname="./test/b_test.ts" time="2.000" line="1" col="6">
        </testcase>
    </testsuite>
</testsuites>
`;

Deno.test("fileTimes() sums each file's tests, not their steps again", () => {
  assert.deepEqual(fileTimes(REPORT), new Map([["test/a_test.ts", 10.5], ["test/b_test.ts", 2]]));
  assert.deepEqual(fileTimes(""), new Map());
});

Deno.test("planShards() puts the longest files first, each into the lightest group", () => {
  const seconds = new Map([["a", 100], ["b", 60], ["c", 50], ["d", 10], ["e", 5]]);
  // a 100 | b 60 → b+c 110 | a+d 110 | tie: e to the first.
  const files = ["a", "b", "c", "d", "e"];
  assert.deepEqual(planShards(files, seconds, 2), [["a", "d", "e"], ["b", "c"]]);
  assert.deepEqual(planShards(["a", "b"], seconds, 3), [["a"], ["b"], []]);
  assert.deepEqual(planShards(["a", "b", "c"], seconds, 1), [["a", "b", "c"]]);
});

Deno.test("planShards() deals files without a time in turn, counted as a typical file", () => {
  assert.deepEqual(planShards(["a", "b", "c", "d"], new Map(), 2), [["a", "c"], ["b", "d"]]);
  // A new file weighs the median (10): beside the 100 s file the others share the second group.
  const seconds = new Map([["a", 100], ["b", 10], ["c", 1]]);
  assert.deepEqual(planShards(["a", "b", "c", "new"], seconds, 2), [["a"], ["b", "c", "new"]]);
  assert.throws(() => planShards(["a"], seconds, 0), /'n' must be a positive integer/);
});

Deno.test("mergeJunit() keeps every suite and adds up the totals", () => {
  const other = REPORT.replace("a_test", "c_test").replace("b_test", "d_test");
  const merged = mergeJunit([REPORT, other]);
  assert.match(
    merged,
    /<testsuites name="deno test" tests="8" failures="2" errors="0" time="25.000">/,
  );
  assert.deepEqual([...fileTimes(merged).keys()], [
    "test/a_test.ts",
    "test/b_test.ts",
    "test/c_test.ts",
    "test/d_test.ts",
  ]);
  assert.deepEqual(countJunit(merged), { passed: 4, failed: 2, skipped: 0 });
});

Deno.test("listTestFiles() finds test files the way deno test does, sorted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-shards-" });
  try {
    for (const path of ["b_test.ts", "sub/a_test.ts", "sub/c.test.ts", "support/helper.ts"]) {
      await Deno.mkdir(`${dir}/${path.split("/").slice(0, -1).join("/")}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, "");
    }
    assert.deepEqual(await listTestFiles(dir), [
      `${dir}/b_test.ts`,
      `${dir}/sub/a_test.ts`,
      `${dir}/sub/c.test.ts`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
