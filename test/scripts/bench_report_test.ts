import assert from "node:assert/strict";
import { formatNumber, formatTable, type TableRow } from "../../scripts/bench/report.ts";
import { drift, slope } from "../../scripts/bench/fit.ts";

Deno.test("formatNumber() keeps enough digits to compare and groups thousands", () => {
  assert.deepEqual([101296.4, 512.3, 17.44, 0.934, 0, 3].map(formatNumber), [
    "101,296",
    "512",
    "17.4",
    "0.93",
    "0",
    "3",
  ]);
});

Deno.test("formatTable() prints one Markdown row per figure with its baseline, ratio and goal", () => {
  const rows: TableRow[] = [
    {
      id: "pipeline",
      order: "1",
      title: "pipeline",
      seconds: 60,
      result: {
        figure: 14.6,
        unit: "frames/s",
        baseline: 15.1,
        baselineLabel: "raw",
        ratio: 0.967,
        goal: "≥ 0.9",
        pass: true,
        note: "10 rounds",
      },
    },
    {
      id: "cameras",
      order: "5",
      title: "cameras",
      seconds: 60,
      result: { figure: 3, unit: "cameras", baseline: null, ratio: null, goal: "fps", pass: null },
    },
    { id: "writer-postgres", order: "3a", title: "writer", seconds: 1, error: "no cluster" },
  ];
  const lines = formatTable(rows).split("\n");
  assert.match(lines[0]!, /^\| # +\| row +\| figure +\| baseline \(same run\) +\| ratio/);
  assert.match(
    lines[2]!,
    /\| 1 +\| pipeline +\| 14\.6 frames\/s +\| 15\.1 \(raw\) +\| 0\.97 +\| ≥ 0\.9 +\| ✓ +\|/,
  );
  assert.match(lines[3]!, /\| 3 cameras +\| — +\| — +\| fps +\| +\|$/);
  assert.match(lines[4]!, /\| 3a +\| writer +\| failed .*✗ +\|$/);
  assert.ok(lines.includes("- 1 pipeline: 10 rounds"));
  assert.ok(lines.includes("- 3a writer: no cluster"));
});

Deno.test("slope() fits memory per camera; drift() compares medians of the first and last fifth", () => {
  assert.equal(slope([[1, 100], [2, 150], [3, 200]]), 50);
  assert.equal(slope([[2, 100]]), 0);
  // One GC spike in the middle does not move the drift.
  assert.equal(drift([10, 11, 10, 12, 90, 11, 10, 11, 12, 11]), 1);
  assert.equal(drift([1, 2, 3]), null);
});
