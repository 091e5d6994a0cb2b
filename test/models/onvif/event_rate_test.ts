import assert from "node:assert/strict";
import type { EventAction } from "../../../models/analytics/event_types.ts";
import { newEventBudget, withinEventBudget } from "../../../models/onvif/event_rate.ts";

const open = (key: string): EventAction => ({ type: "open", key, event: {} as never });
const close = (key: string): EventAction => ({ type: "close", key, endedAt: 0 });
const instant = (key: string): EventAction[] => [
  // The recorder reads only the key of these actions here.
  { type: "open", key, event: {} as never },
  { type: "close", key, endedAt: 0 },
];

Deno.test("withinEventBudget() drops new events over the limit per second, with their closes", () => {
  const budget = newEventBudget();
  const flood = Array.from({ length: 100 }, (_, i) => instant(`k${i}`)).flat();
  const kept = withinEventBudget(budget, flood, 10_000, 20);
  assert.equal(kept.length, 40, "20 opens and their 20 closes");
  assert.deepEqual(kept.filter((a) => a.type === "close").map((a) => a.key).at(-1), "k19");
  assert.equal(budget.droppedTotal, 80);
  assert.equal(budget.dropped.size, 0, "every dropped open's close was dropped too");
  assert.equal(withinEventBudget(budget, instant("late"), 10_500, 20).length, 0, "same second");
  assert.equal(withinEventBudget(budget, instant("next"), 11_000, 20).length, 2, "next second");
});

Deno.test("withinEventBudget() drops the later close of a dropped open property", () => {
  const budget = newEventBudget();
  withinEventBudget(budget, [open("a")], 0, 1);
  assert.deepEqual(withinEventBudget(budget, [open("b")], 1, 1), []);
  assert.deepEqual(withinEventBudget(budget, [close("b")], 5000, 1), []);
  assert.deepEqual(withinEventBudget(budget, [close("a")], 5000, 1), [close("a")]);
  assert.equal(budget.dropped.size, 0);
});
