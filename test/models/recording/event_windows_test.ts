import assert from "node:assert/strict";
import {
  decidePending,
  type EventWindow,
  EventWindows,
} from "../../../models/recording/event_windows.ts";

const timing = { preRollMs: 5_000, postRollMs: 5_000, graceMs: 10_000, maxHoldMs: 60_000 };
const event = (startMs: number, endMs: number | null, more: Partial<EventWindow> = {}) => ({
  id: crypto.randomUUID(),
  startMs,
  endMs,
  triggers: true,
  related: true,
  ...more,
});
const span = (startMs: number) => ({ startMs, endMs: startMs + 10_000 });

Deno.test("decidePending() keeps the segments of an event with its pre and post roll", async (t) => {
  const windows = [event(100_000, 130_000)];
  await t.step("the segment holding the pre-roll is kept", () => {
    assert.equal(decidePending(span(86_000), windows, timing, 200_000), "keep");
  });
  await t.step("a segment ending before the pre-roll is not", () => {
    assert.equal(decidePending(span(84_000), windows, timing, 200_000), "delete");
  });
  await t.step("the post-roll is kept", () => {
    assert.equal(decidePending(span(134_000), windows, timing, 200_000), "keep");
    assert.equal(decidePending(span(136_000), windows, timing, 200_000), "delete");
  });
  await t.step("an open event keeps everything after its pre-roll", () => {
    assert.equal(decidePending(span(500_000), [event(100_000, null)], timing, 600_000), "keep");
  });
});

Deno.test("decidePending() waits while an event could still need the segment", async (t) => {
  await t.step("within pre-roll plus grace of its end", () => {
    assert.equal(decidePending(span(0), [], timing, 10_000 + 5_000 + 9_999), "wait");
    assert.equal(decidePending(span(0), [], timing, 10_000 + 5_000 + 10_000), "delete");
  });
  await t.step("while a related event is open (it may become loitering)", () => {
    const zone = event(5_000, null, { triggers: false });
    assert.equal(decidePending(span(0), [zone], timing, 40_000), "wait");
    assert.equal(decidePending(span(0), [zone], timing, 10_000 + 60_000), "delete");
  });
  await t.step("an unrelated open event holds nothing", () => {
    const car = event(5_000, null, { triggers: false, related: false });
    assert.equal(decidePending(span(0), [car], timing, 40_000), "delete");
  });
  await t.step(
    "a related event that opened after the segment's pre-roll horizon holds nothing",
    () => {
      const later = event(30_000, null, { triggers: false });
      assert.equal(decidePending(span(0), [later], timing, 40_000), "delete");
    },
  );
});

Deno.test("EventWindows follows opens and closes and forgets old closed events", () => {
  const windows = new EventWindows();
  windows.set({ id: "a", startMs: 0, endMs: null, triggers: true, related: true });
  windows.set({ id: "a", startMs: 0, endMs: 1_000, triggers: true, related: true });
  windows.set({ id: "b", startMs: 5_000, endMs: null, triggers: true, related: true });
  assert.deepEqual(windows.all.map((w) => [w.id, w.endMs]), [["a", 1_000], ["b", null]]);
  windows.prune(2_000);
  assert.deepEqual(windows.all.map((w) => w.id), ["b"]);
});
