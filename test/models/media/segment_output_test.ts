import assert from "node:assert/strict";
import { parseRecorderLine, placeSegment, RunClock } from "../../../models/media/segment_output.ts";

Deno.test("parseRecorderLine() tells finished segments from progress reports", async (t) => {
  const cases: [string, ReturnType<typeof parseRecorderLine>][] = [
    [
      "1764000000000-000001.mp4,10.960000,20.960000",
      { kind: "segment", name: "1764000000000-000001.mp4", startS: 10.96, endS: 20.96 },
    ],
    ["out_time_us=1600078", { kind: "progress", outTimeUs: 1600078 }],
    ["out_time_us=N/A", { kind: "other" }],
    ["progress=end", { kind: "end" }],
    ["progress=continue", { kind: "other" }],
    ["frame=12", { kind: "other" }],
    ['"a,b.mp4",1,2', { kind: "other" }],
    ["", { kind: "other" }],
  ];
  for (const [line, expected] of cases) {
    await t.step(JSON.stringify(line), () => assert.deepEqual(parseRecorderLine(line), expected));
  }
});

Deno.test("RunClock keeps the report with the least delay as the offset", () => {
  const clock = new RunClock();
  assert.equal(clock.wall(1), null);
  clock.observe(1.0, 10_150); // 150 ms late
  clock.observe(2.0, 11_020); // 20 ms late: the best so far
  clock.observe(3.0, 12_400); // a slow report
  assert.equal(clock.offsetMs, 9_020);
  assert.equal(clock.wall(10), 19_020);
});

Deno.test("RunClock follows a camera clock that drifts, through its sliding window", () => {
  const clock = new RunClock(5);
  // The camera's clock runs 1% slow: its time falls behind the wall clock.
  for (let i = 0; i < 20; i++) clock.observe(i * 0.99, 1000 + i * 1000);
  // Only the last five samples count: offset = now - t at i = 15.
  assert.equal(clock.offsetMs, 1000 + 15_000 - 15 * 990);
  clock.observe(-1, 0);
  clock.observe(Number.NaN, 0);
  assert.equal(clock.offsetMs, 1000 + 15_000 - 15 * 990);
});

Deno.test("placeSegment() snaps a run's segments end to start, and keeps real holes", async (t) => {
  await t.step("a start a few ms off the previous end is snapped", () => {
    assert.deepEqual(placeSegment(10_004, 10_000, 10_000), { startMs: 10_000, endMs: 20_000 });
    assert.deepEqual(placeSegment(9_990, 10_000, 10_000), { startMs: 10_000, endMs: 20_000 });
  });
  await t.step("a start before the previous end never overlaps it", () => {
    assert.deepEqual(placeSegment(8_000, 1_000, 10_000), { startMs: 10_000, endMs: 11_000 });
  });
  await t.step("a start well after the previous end is a hole", () => {
    assert.deepEqual(placeSegment(11_000, 1_000, 10_000), { startMs: 11_000, endMs: 12_000 });
  });
  await t.step("the first segment of a run keeps its estimate", () => {
    assert.deepEqual(placeSegment(5_000, 999.6, undefined), { startMs: 5_000, endMs: 6_000 });
  });
});
