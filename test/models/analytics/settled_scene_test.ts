import assert from "node:assert/strict";
import { sceneSettled } from "../../../models/analytics/settled_scene.ts";

Deno.test("a scene is settled when nothing is tracked, or every track is confirmed and was just seen", () => {
  assert.equal(sceneSettled([], false), true);
  const parked = { confirmed: true, misses: 0 };
  assert.equal(sceneSettled([parked, parked], false), true);
});

Deno.test("a scene is not settled while a track or an event rule waits on the next run", async (t) => {
  const parked = { confirmed: true, misses: 0 };
  const cases: [string, { confirmed: boolean; misses: number }][] = [
    ["a track not confirmed yet (its event opens on hits)", { confirmed: false, misses: 0 }],
    ["a track missed in the last run (it may be leaving)", { confirmed: true, misses: 1 }],
  ];
  for (const [name, track] of cases) {
    await t.step(name, () => assert.equal(sceneSettled([parked, track], false), false));
  }
  await t.step("an event rule waiting on a run (a zone leave, a loitering timer)", () => {
    assert.equal(sceneSettled([parked], true), false);
  });
});
