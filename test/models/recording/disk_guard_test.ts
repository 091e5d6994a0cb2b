import assert from "node:assert/strict";
import {
  bytesToFree,
  parseMinFree,
  parseSize,
  pickOldest,
} from "../../../models/recording/disk_guard.ts";
import { ValidationError } from "../../../models/errors.ts";

Deno.test("parseSize() reads decimal and binary units and plain bytes", async (t) => {
  const cases: [string, number][] = [
    ["20GB", 20e9],
    ["20 gb", 20e9],
    ["512MiB", 512 * 1024 ** 2],
    ["1.5TB", 1.5e12],
    ["1073741824", 1073741824],
    ["100B", 100],
  ];
  for (const [raw, bytes] of cases) {
    await t.step(raw, () => assert.equal(parseSize(raw, "X"), bytes));
  }
  for (const bad of ["", "GB", "-1GB", "20 PB", "1e9", "twenty"]) {
    await t.step(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseSize(bad, "X"), ValidationError);
    });
  }
});

Deno.test("parseMinFree() takes a percentage below 100 or a size", () => {
  assert.deepEqual(parseMinFree("10%"), { percent: 10 });
  assert.deepEqual(parseMinFree(" 2.5 % "), { percent: 2.5 });
  assert.deepEqual(parseMinFree("20GB"), { bytes: 20e9 });
  assert.throws(() => parseMinFree("100%"), ValidationError);
  assert.throws(() => parseMinFree("ten percent"), ValidationError);
});

Deno.test("bytesToFree() satisfies the free-space rule and the quota, whichever needs more", () => {
  const disk = { free: 5e9, total: 100e9, used: 50e9 };
  assert.equal(bytesToFree(disk, {}), 0);
  assert.equal(bytesToFree(disk, { minFree: { percent: 10 } }), 5e9);
  assert.equal(bytesToFree(disk, { minFree: { percent: 5 } }), 0);
  assert.equal(bytesToFree(disk, { minFree: { bytes: 8e9 } }), 3e9);
  assert.equal(bytesToFree(disk, { maxSize: 40e9 }), 10e9);
  assert.equal(bytesToFree(disk, { minFree: { percent: 10 }, maxSize: 40e9 }), 10e9);
});

Deno.test("pickOldest() takes the oldest segments until enough is freed", () => {
  const segments = [{ id: "a", bytes: 10 }, { id: "b", bytes: 10 }, { id: "c", bytes: 10 }];
  assert.deepEqual(pickOldest(segments, 0), []);
  assert.deepEqual(pickOldest(segments, 10).map((s) => s.id), ["a"]);
  assert.deepEqual(pickOldest(segments, 15).map((s) => s.id), ["a", "b"]);
  assert.deepEqual(pickOldest(segments, 1000).map((s) => s.id), ["a", "b", "c"]);
});
