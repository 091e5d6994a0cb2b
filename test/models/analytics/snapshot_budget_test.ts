import assert from "node:assert/strict";
import {
  MAX_PENDING_WITH_FRAMES,
  SNAPSHOT_MIN_INTERVAL_MS,
  SnapshotBudget,
} from "../../../models/analytics/snapshot_budget.ts";
import type { EventAction } from "../../../models/analytics/event_types.ts";

const open = (key: string, box = true): EventAction => ({
  type: "open",
  key,
  event: {
    kind: "object",
    label: "person",
    startedAt: 0,
    score: 0.6,
    ...(box ? { box: [1, 1, 9, 9] as [number, number, number, number] } : {}),
  },
});
const better = (key: string): EventAction => ({
  type: "update-best",
  key,
  score: 0.9,
  box: [1, 1, 9, 9],
});
const close = (key: string): EventAction => ({ type: "close", key, endedAt: 1 });

Deno.test("a busy scene's queued better frames do not each hold their pixels", () => {
  const budget = new SnapshotBudget();
  assert.equal(budget.admit([open("a")], 0), true, "an opening event keeps its frame");
  budget.release();
  // Better frames queued in a row while the encoder is slow, within the interval: none is due.
  let kept = 0;
  for (let i = 1; i < 30; i++) if (budget.admit([better("a")], i * 100)) kept++;
  assert.equal(kept, 0, "none within the snapshot interval of the opening");
  assert.equal(budget.admit([better("a")], SNAPSHOT_MIN_INTERVAL_MS), true, "then one is due");
  assert.equal(budget.admit([better("a")], SNAPSHOT_MIN_INTERVAL_MS * 3), false, "one waits");
  assert.equal(budget.waiting, 1);
});

Deno.test("opening events keep their pixels up to the limit, then are recorded without", () => {
  const budget = new SnapshotBudget();
  const admitted = Array.from({ length: 10 }, (_, i) => budget.admit([open(`k${i}`)], i));
  assert.equal(admitted.filter(Boolean).length, MAX_PENDING_WITH_FRAMES);
  budget.release();
  assert.equal(budget.admit([open("late")], 20), true, "room again once a batch ran");
});

Deno.test("a batch with nothing to draw never holds pixels", () => {
  const budget = new SnapshotBudget();
  assert.equal(budget.admit([close("a")], 0), false);
  assert.equal(budget.admit([open("nobox", false)], 0), false, "a zone event without a box");
  assert.equal(budget.waiting, 0);
});

Deno.test("a closed event's better-frame clock is forgotten", () => {
  const budget = new SnapshotBudget();
  budget.admit([open("a")], 0);
  budget.release();
  budget.admit([close("a")], 10);
  // The key may come back (a new track with a reused key): its first better frame is due at once.
  assert.equal(budget.admit([better("a")], 20), true);
});
