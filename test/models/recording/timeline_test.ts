import assert from "node:assert/strict";
import {
  type ClipSegment,
  joinedPosition,
  planClip,
  timeline,
} from "../../../models/recording/timeline.ts";

const seg = (path: string, startMs: number, durationMs: number): ClipSegment => ({
  path,
  startMs,
  endMs: startMs + durationMs,
  durationMs,
});

Deno.test("timeline() merges contiguous segments and reports the holes of the range", async (t) => {
  await t.step("segments a few ms apart make one interval", () => {
    const spans = [{ startMs: 1000, endMs: 2000 }, { startMs: 2010, endMs: 3000 }];
    assert.deepEqual(timeline(spans, { from: 1000, to: 3000 }), {
      intervals: [{ from: 1000, to: 3000 }],
      gaps: [],
    });
  });
  await t.step("an outage is a gap, and so are the ends of the range without recording", () => {
    const spans = [{ startMs: 10_000, endMs: 20_000 }, { startMs: 31_000, endMs: 40_000 }];
    assert.deepEqual(timeline(spans, { from: 0, to: 50_000 }), {
      intervals: [{ from: 10_000, to: 20_000 }, { from: 31_000, to: 40_000 }],
      gaps: [{ from: 0, to: 10_000 }, { from: 20_000, to: 31_000 }, { from: 40_000, to: 50_000 }],
    });
  });
  await t.step("segments are clipped to the range", () => {
    assert.deepEqual(timeline([{ startMs: 0, endMs: 100_000 }], { from: 5000, to: 6000 }), {
      intervals: [{ from: 5000, to: 6000 }],
      gaps: [],
    });
  });
  await t.step("no segment: the whole range is a gap", () => {
    assert.deepEqual(timeline([], { from: 0, to: 1000 }), {
      intervals: [],
      gaps: [{ from: 0, to: 1000 }],
    });
  });
  await t.step("overlapping segments do not make negative gaps", () => {
    const spans = [{ startMs: 0, endMs: 5000 }, { startMs: 1000, endMs: 2000 }, {
      startMs: 4000,
      endMs: 8000,
    }];
    assert.deepEqual(timeline(spans, { from: 0, to: 8000 }).intervals, [{ from: 0, to: 8000 }]);
  });
});

Deno.test("planClip() cuts the first and last segments and maps the joined timeline", () => {
  const segments = [seg("/a", 0, 10_000), seg("/b", 10_000, 10_000), seg("/c", 20_000, 10_000)];
  const plan = planClip(segments, { from: 5_000, to: 25_000 })!;
  assert.deepEqual(plan.cuts, [{ path: "/a", inpoint: 5 }, { path: "/b" }, {
    path: "/c",
    outpoint: 5,
  }]);
  assert.deepEqual(plan.offsetsS, [0, 10, 20]);
  assert.equal(plan.startS, 5);
  assert.equal(plan.durationS, 20);
  assert.deepEqual(plan.gaps, []);
  assert.equal(joinedPosition(plan, 12_500), 12.5);
  assert.equal(joinedPosition(plan, 40_000), null);
});

Deno.test("planClip() skips gaps on the joined timeline and reports them", () => {
  const segments = [seg("/a", 0, 10_000), seg("/b", 20_000, 10_000)];
  const plan = planClip(segments, { from: 0, to: 30_000 })!;
  assert.deepEqual(plan.cuts, [{ path: "/a" }, { path: "/b" }]);
  assert.equal(plan.durationS, 20);
  assert.deepEqual(plan.gaps, [{ from: 10_000, to: 20_000 }]);
  assert.equal(joinedPosition(plan, 21_000), 11);
});

Deno.test("planClip() of one segment cuts both ends, and of nothing is null", () => {
  const plan = planClip([seg("/a", 0, 10_000)], { from: 2_000, to: 5_000 })!;
  assert.deepEqual(plan.cuts, [{ path: "/a", inpoint: 2, outpoint: 5 }]);
  assert.equal(plan.startS, 2);
  assert.equal(plan.durationS, 3);
  assert.equal(planClip([seg("/a", 0, 10_000)], { from: 10_000, to: 20_000 }), null);
});
