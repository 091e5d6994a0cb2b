import assert from "node:assert/strict";
import { bytes, duration, isoToLocal, localToIso, shortTime } from "../../web/logic/format.ts";
import { matches } from "../../web/logic/event_match.ts";

Deno.test("durations and sizes read as people write them", async (t) => {
  const durations: [number, string][] = [
    [850, "850 ms"],
    [12_000, "12 s"],
    [185_000, "3 min 5 s"],
    [180_000, "3 min"],
    [7_440_000, "2 h 4 min"],
    [-1, "–"],
  ];
  for (const [ms, text] of durations) {
    await t.step(`${ms} ms`, () => assert.equal(duration(ms), text));
  }
  assert.equal(bytes(512), "512 B");
  assert.equal(bytes(1536), "1.5 KiB");
  assert.equal(bytes(20 * 1024 * 1024), "20.0 MiB");
});

Deno.test("times: today shows the time of day, other days the date; local inputs round-trip", () => {
  const now = new Date(2026, 10, 25, 15, 0, 0);
  assert.equal(shortTime(new Date(2026, 10, 25, 14, 3, 7).toISOString(), now), "14:03:07");
  assert.equal(shortTime(new Date(2026, 10, 24, 14, 3, 7).toISOString(), now), "2026-11-24 14:03");
  const iso = new Date(2026, 10, 25, 14, 0).toISOString();
  assert.equal(localToIso(isoToLocal(iso)), iso);
  const withSeconds = new Date(2026, 10, 25, 14, 0, 5).toISOString();
  assert.equal(localToIso(isoToLocal(withSeconds, true)), withSeconds);
  assert.equal(isoToLocal(withSeconds, true).slice(-3), ":05");
  assert.equal(localToIso(""), undefined);
  assert.equal(localToIso("nonsense"), undefined);
});

Deno.test("event filters: zone, label, kind, camera and a half-open time range", async (t) => {
  const event = {
    camera: "c1",
    label: "person",
    kind: "zone",
    zone: "door",
    startedAt: "2026-11-25T14:00:00.000Z",
  };
  const cases: [string, Parameters<typeof matches>[1], boolean][] = [
    ["no filter", {}, true],
    ["its zone", { zone: "door" }, true],
    ["another zone", { zone: "gate" }, false],
    ["another label", { label: "car" }, false],
    ["another kind", { kind: "object" }, false],
    ["another camera", { camera: "c2" }, false],
    ["from its start (inclusive)", { from: "2026-11-25T14:00:00Z" }, true],
    ["to its start (exclusive)", { to: "2026-11-25T14:00:00Z" }, false],
  ];
  for (const [name, filters, expected] of cases) {
    await t.step(name, () => assert.equal(matches(event, filters), expected));
  }
});
