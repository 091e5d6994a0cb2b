import assert from "node:assert/strict";
import { LogBudget } from "../../../models/net/log_budget.ts";

Deno.test("an address logs its first lines of a window, says the rest are left out, then is quiet", () => {
  const budget = new LogBudget(3, 60_000);
  const verdicts = Array.from({ length: 6 }, (_, i) => budget.take("10.0.0.9", i));
  assert.deepEqual(verdicts, ["log", "log", "log-last", "skip", "skip", "skip"]);
  assert.equal(budget.take("10.0.0.8", 10), "log", "another address has its own budget");
  assert.equal(budget.take("10.0.0.9", 60_000), "log", "a new window starts afresh");
});

Deno.test("the budget remembers a bounded number of addresses", () => {
  const budget = new LogBudget(2, 60_000, 4);
  for (let i = 0; i < 100; i++) budget.take(`10.0.1.${i}`, i);
  assert.equal(budget.size, 4);
});
