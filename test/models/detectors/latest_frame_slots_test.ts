import assert from "node:assert/strict";
import { LatestFrameSlots } from "../../../models/detectors/latest_frame_slots.ts";

Deno.test("LatestFrameSlots keeps only the newest item per camera", () => {
  const slots = new LatestFrameSlots<string>();
  assert.equal(slots.put("a", "a1"), undefined);
  assert.equal(slots.put("a", "a2"), "a1");
  assert.equal(slots.size, 1);
  assert.deepEqual(slots.take(), ["a", "a2"]);
  assert.equal(slots.take(), undefined);
});

Deno.test("LatestFrameSlots serves a busy camera and a slow one in turn", () => {
  const slots = new LatestFrameSlots<string>();
  const served: string[] = [];
  // "busy" always has a frame waiting; "slow" has one every third round.
  for (let round = 0; round < 6; round++) {
    slots.put("busy", `busy${round}`);
    if (round % 3 === 0) slots.put("slow", `slow${round}`);
    const next = slots.take();
    if (next) served.push(next[1]);
  }
  // busy1 and busy3 were replaced by newer frames before their turn came.
  assert.deepEqual(served, ["busy0", "slow0", "busy2", "slow3", "busy4", "busy5"]);
});

Deno.test("LatestFrameSlots.delete() forgets a camera without breaking the rotation", () => {
  const slots = new LatestFrameSlots<number>();
  slots.put("a", 1);
  slots.put("b", 2);
  slots.put("c", 3);
  assert.deepEqual(slots.take(), ["a", 1]);
  assert.equal(slots.delete("b"), 2);
  slots.put("a", 4);
  assert.deepEqual(slots.take(), ["c", 3]);
  assert.deepEqual(slots.take(), ["a", 4]);
  assert.deepEqual(slots.drain(), []);
});

Deno.test("LatestFrameSlots serves a newly seen camera before returning to the last one", () => {
  const slots = new LatestFrameSlots<string>();
  slots.put("a", "a1");
  assert.deepEqual(slots.take(), ["a", "a1"]);
  slots.put("a", "a2");
  slots.put("b", "b1");
  assert.deepEqual(slots.take(), ["b", "b1"]);
  assert.deepEqual(slots.take(), ["a", "a2"]);
});
