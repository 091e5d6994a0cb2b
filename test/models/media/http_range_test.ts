import assert from "node:assert/strict";
import { planRange } from "../../../models/media/http_range.ts";

Deno.test("planRange() answers single byte ranges and falls back to the whole file", async (t) => {
  const cases: [string | null, ReturnType<typeof planRange>][] = [
    [null, { kind: "full" }],
    ["bytes=0-99", { kind: "partial", start: 0, end: 99 }],
    ["bytes=100-", { kind: "partial", start: 100, end: 999 }],
    ["bytes=-100", { kind: "partial", start: 900, end: 999 }],
    ["bytes=-5000", { kind: "partial", start: 0, end: 999 }],
    ["bytes=900-5000", { kind: "partial", start: 900, end: 999 }],
    ["bytes=999-999", { kind: "partial", start: 999, end: 999 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-1", { kind: "full" }],
    ["bytes=0-1,5-9", { kind: "full" }],
    ["bytes=-", { kind: "full" }],
    ["items=0-1", { kind: "full" }],
    ["bytes=abc", { kind: "full" }],
  ];
  for (const [header, expected] of cases) {
    await t.step(String(header), () => assert.deepEqual(planRange(header, 1000), expected));
  }
});
