import assert from "node:assert/strict";
import { localDay, mark, place } from "../../web/logic/timeline.ts";

const at = (ms: number) => new Date(ms).toISOString();

Deno.test("spans are placed on the bar as fractions, clipped to it", async (t) => {
  const cases: [string, [number, number], { x: number; w: number } | undefined][] = [
    ["inside", [250, 500], { x: 0.25, w: 0.25 }],
    ["starting before the bar", [-500, 100], { x: 0, w: 0.1 }],
    ["ending after the bar", [900, 2000], { x: 0.9, w: 0.1 }],
    ["outside", [1000, 2000], undefined],
    ["empty", [300, 300], undefined],
  ];
  for (const [name, [from, to], expected] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(place({ from: at(from), to: at(to) }, 0, 1000), expected),
    );
  }
});

Deno.test("event marks fall in [start, end) and a local day spans midnight to midnight", () => {
  assert.equal(mark(at(500), 0, 1000), 0.5);
  assert.equal(mark(at(1000), 0, 1000), undefined);
  assert.equal(mark(at(-1), 0, 1000), undefined);
  const { start, end } = localDay("2026-11-25");
  assert.equal(new Date(start).getHours(), 0);
  assert.equal(new Date(start).getDate(), 25);
  assert.equal(new Date(end).getDate(), 26);
});
