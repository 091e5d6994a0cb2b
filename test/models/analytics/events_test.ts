import assert from "node:assert/strict";
import {
  createEventEngine,
  initialEventState,
  reduceEvents,
} from "../../../models/analytics/events.ts";
import type { EventAction, EventConfig } from "../../../models/analytics/event_types.ts";
import { filterDetections } from "../../../models/analytics/filter.ts";
import type { CrossingLine, Zone } from "../../../models/analytics/settings.ts";
import { createTracker } from "../../../models/analytics/tracker.ts";
import type { Box, Detection } from "../../../models/detectors/types.ts";

const W = 640;
const H = 360;
const FRAME_MS = 200;
const LEFT_HALF: Zone = { name: "left", polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] };

function person(box: Box, score = 0.8): Detection {
  return { label: "person", classId: 0, score, box };
}

/** A 40x100 px person whose feet are at (x, y) in pixels. */
function standingAt(x: number, y: number, score = 0.8): Detection {
  return person([x - 20, y - 100, x + 20, y], score);
}

interface Pipeline {
  /** Feeds one detector run at frame index i (time i * FRAME_MS); returns its actions. */
  frame(i: number, detections: Detection[]): EventAction[];
  all: EventAction[];
  closeAll(now: number): EventAction[];
}

/** Tracker (track ids t1, t2, ...) → event engine, as the analysis actor composes them. */
function pipeline(
  config: Partial<EventConfig> = {},
  masks: [number, number][][] = [],
): Pipeline {
  let n = 0;
  const tracker = createTracker({ confirmFrames: 3, leaveAfterMs: 1000, newId: () => `t${++n}` });
  const events = createEventEngine({ zones: [], lines: [], leaveAfterMs: 1000, ...config });
  const all: EventAction[] = [];
  return {
    frame(i, detections) {
      const now = i * FRAME_MS;
      const kept = filterDetections(
        detections,
        { classes: ["person", "car"], minScore: 0.4, masks },
        W,
        H,
      );
      const actions = events.frame({ now, width: W, height: H, ...tracker.update(kept, now) });
      all.push(...actions);
      return actions;
    },
    all,
    closeAll(now) {
      const actions = events.closeAll(now);
      all.push(...actions);
      return actions;
    },
  };
}

/** A compact view of actions: "open object t1 @0", "close object:t1 @1200"... */
function summary(actions: readonly EventAction[]): string[] {
  return actions.map((a) => {
    if (a.type === "open") {
      const e = a.event;
      const where = e.zone ? ` ${e.zone}` : "";
      const dir = e.direction ? ` ${e.direction}` : "";
      return `open ${e.kind}${where}${dir} ${e.trackId ?? "-"} @${e.startedAt}`;
    }
    if (a.type === "close") return `close ${a.key} @${a.endedAt}`;
    return `best ${a.key} ${a.score}`;
  });
}

Deno.test("an object event opens once at confirmation and closes when the track ends", () => {
  const p = pipeline();
  const opened: number[] = [];
  for (let i = 0; i < 6; i++) {
    if (p.frame(i, [standingAt(100 + i * 10, 300)]).some((a) => a.type === "open")) opened.push(i);
  }
  for (let i = 6; i < 12; i++) p.frame(i, []);
  assert.deepEqual(opened, [2]);
  // Seen from 0 ms (first sighting) to 1000 ms (frame 5); ended 1000 ms later.
  assert.deepEqual(summary(p.all), ["open object t1 @0", "close object:t1 @1000"]);
  const open = p.all[0];
  assert.equal(open?.type, "open");
  if (open?.type === "open") assert.deepEqual(open.event.box, [100, 200, 140, 300]);
});

Deno.test("a better score later asks for a better snapshot", () => {
  const p = pipeline();
  const scores = [0.5, 0.5, 0.6, 0.9, 0.7, 0.95];
  scores.forEach((score, i) => p.frame(i, [standingAt(100, 300, score)]));
  const best = p.all.filter((a) => a.type === "update-best");
  assert.deepEqual(best.map((a) => a.type === "update-best" && [a.key, a.score]), [
    ["object:t1", 0.9],
    ["object:t1", 0.95],
  ]);
});

Deno.test("zone events come only for objects whose feet are inside the zone", () => {
  const p = pipeline({ zones: [LEFT_HALF] });
  for (let i = 0; i < 6; i++) {
    // t1 stands in the left half, t2 in the right half (its head reaches into the left half's
    // column of pixels, but its feet are right of x = 320).
    p.frame(i, [standingAt(100, 300), standingAt(340, 300)]);
  }
  const zone = p.all.filter((a) => a.type === "open" && a.event.kind === "zone");
  assert.deepEqual(summary(zone), ["open zone left t1 @0"]);
});

Deno.test("a zone event closes when the object walks out, at the time it stepped out", () => {
  const p = pipeline({ zones: [LEFT_HALF] });
  // Walks right 40 px per frame from x = 190: outside (x > 320) from frame 4, at 800 ms.
  for (let i = 0; i < 15; i++) p.frame(i, [standingAt(190 + i * 40, 300)]);
  assert.deepEqual(summary(p.all), [
    "open object t1 @0",
    "open zone left t1 @0",
    "close zone:left:t1:1 @800",
  ]);
});

Deno.test("jitter on a zone border makes one zone event, not one per frame", () => {
  const p = pipeline({ zones: [LEFT_HALF] });
  for (let i = 0; i < 20; i++) p.frame(i, [standingAt(i % 2 === 0 ? 315 : 325, 300)]);
  const zone = p.all.filter((a) => a.type !== "update-best" && a.key.startsWith("zone:"));
  assert.deepEqual(summary(zone), ["open zone left t1 @0"]);
});

Deno.test("a real re-entry after leaving is a new zone event", () => {
  const p = pipeline({ zones: [LEFT_HALF] });
  // Out (x > 320) from frame 3 for 8 frames, back in at frame 12.
  const xs = [190, 250, 310, 370, 430, 430, 430, 430, 430, 430, 430, 370, 310, 250];
  xs.forEach((x, i) => p.frame(i, [standingAt(x, 300)]));
  const zone = p.all.filter((a) => a.type !== "update-best" && a.key.startsWith("zone:"));
  assert.deepEqual(summary(zone), [
    "open zone left t1 @0",
    "close zone:left:t1:1 @600",
    "open zone left t1 @2400",
  ]);
});

Deno.test("a zone that cares about cars ignores people", () => {
  const p = pipeline({ zones: [{ ...LEFT_HALF, classes: ["car"] }] });
  for (let i = 0; i < 6; i++) p.frame(i, [standingAt(100, 300)]);
  assert.deepEqual(summary(p.all), ["open object t1 @0"]);
});

Deno.test("a mask suppresses the detections standing inside it", () => {
  const mask: [number, number][] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
  const p = pipeline({ zones: [LEFT_HALF] }, [mask]);
  for (let i = 0; i < 6; i++) p.frame(i, [standingAt(100, 300), standingAt(500, 300)]);
  assert.deepEqual(summary(p.all), ["open object t1 @0"]);
  const open = p.all[0];
  if (open?.type === "open") assert.deepEqual(open.event.box, [480, 200, 520, 300]);
});

Deno.test("loitering fires once, after loiterSeconds inside the zone", () => {
  const p = pipeline({ zones: [{ ...LEFT_HALF, loiterSeconds: 2 }] });
  const openedAt: number[] = [];
  for (let i = 0; i < 40; i++) {
    const actions = p.frame(i, [standingAt(100 + (i % 3), 300)]);
    if (actions.some((a) => a.type === "open" && a.event.kind === "loitering")) {
      openedAt.push(i * FRAME_MS);
    }
  }
  for (let i = 40; i < 50; i++) p.frame(i, []);
  assert.deepEqual(openedAt, [2000]);
  const loiter = p.all.filter((a) => a.type !== "update-best" && a.key.startsWith("loitering:"));
  // Started when it entered; closed with the track at its last sighting (frame 39).
  assert.deepEqual(summary(loiter), [
    "open loitering left t1 @0",
    "close loitering:left:t1:1 @7800",
  ]);
});

Deno.test("a short stay in a loitering zone does not fire", () => {
  const p = pipeline({ zones: [{ ...LEFT_HALF, loiterSeconds: 2 }] });
  for (let i = 0; i < 8; i++) p.frame(i, [standingAt(100, 300)]);
  for (let i = 8; i < 30; i++) p.frame(i, [standingAt(500, 300)]);
  assert.equal(p.all.filter((a) => a.type === "open" && a.event.kind === "loitering").length, 0);
});

Deno.test("line crossings are reported once per direction, with the direction", async (t) => {
  // A horizontal tripwire across the middle, drawn left to right: below it is its right side.
  const line: CrossingLine = { name: "door", a: [0.1, 0.5], b: [0.9, 0.5] };
  const cases: [string, (i: number) => [number, number], string[]][] = [
    // Feet on the line (y = 180) at frame 4; clearly below it at frame 5, 1000 ms.
    ["walking down across it", (i) => [320, 100 + i * 20], [
      "open line_cross door left_to_right t1 @1000",
    ]],
    ["walking up across it", (i) => [320, 330 - i * 20], [
      "open line_cross door right_to_left t1 @1600",
    ]],
    ["walking past its end", (i) => [620, 100 + i * 20], []],
    ["walking alongside it", (i) => [100 + i * 20, 170], []],
    [
      "pacing back and forth across it",
      (i) => [320, i % 6 < 3 ? 150 : 210],
      ["open line_cross door left_to_right t1 @600", "open line_cross door right_to_left t1 @1200"],
    ],
  ];
  for (const [name, foot, expected] of cases) {
    await t.step(name, () => {
      const p = pipeline({ lines: [line] });
      for (let i = 0; i < 12; i++) p.frame(i, [standingAt(...foot(i))]);
      const opens = p.all.filter((a) => a.type === "open" && a.event.kind === "line_cross");
      assert.deepEqual(summary(opens), expected);
      for (const open of opens) {
        // Instant: the next action closes it at the crossing time.
        const close = p.all[p.all.indexOf(open) + 1];
        assert.ok(open.type === "open" && close?.type === "close");
        assert.deepEqual([close.key, close.endedAt], [open.key, open.event.startedAt]);
      }
    });
  }
});

Deno.test("a crossing before confirmation is reported when the track is confirmed", () => {
  const line: CrossingLine = { name: "door", a: [0, 0.5], b: [1, 0.5] };
  const p = pipeline({ lines: [line] });
  const ys = [170, 190, 230, 250];
  const perFrame = ys.map((y, i) => summary(p.frame(i, [standingAt(320, y)])));
  assert.deepEqual(perFrame[1], []);
  assert.deepEqual(perFrame[2], [
    "open object t1 @0",
    "open line_cross door left_to_right t1 @200",
    "close line:door:left_to_right:t1 @200",
  ]);
});

Deno.test("camera offline opens an event that online closes", () => {
  const events = createEventEngine({ zones: [], lines: [], leaveAfterMs: 1000 });
  assert.deepEqual(summary(events.offline(5000)), ["open offline - @5000"]);
  assert.deepEqual(events.offline(6000), []);
  assert.deepEqual(summary(events.online(9000)), ["close offline:5000 @9000"]);
  assert.deepEqual(events.online(9500), []);
});

Deno.test("closeAll() closes every open event and leaves nothing open", () => {
  const p = pipeline({ zones: [{ ...LEFT_HALF, loiterSeconds: 1 }] });
  for (let i = 0; i < 10; i++) p.frame(i, [standingAt(100, 300), standingAt(500, 300)]);
  const closes = p.closeAll(5000);
  assert.deepEqual(summary(closes).sort(), [
    "close loitering:left:t1:1 @1800",
    "close object:t1 @1800",
    "close object:t2 @1800",
    "close zone:left:t1:1 @1800",
  ]);
  assert.deepEqual(p.closeAll(6000), []);
});

Deno.test("a new zone configuration closes the changed zone's events and keeps object events", () => {
  const keep: Zone = { name: "keep", polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] };
  const events = createEventEngine({ zones: [LEFT_HALF, keep], lines: [], leaveAfterMs: 1000 });
  let n = 0;
  const tracker = createTracker({ confirmFrames: 1, leaveAfterMs: 1000, newId: () => `t${++n}` });
  const frame = (now: number) =>
    events.frame({ now, width: W, height: H, ...tracker.update([standingAt(100, 300)], now) });
  frame(0);
  const moved: Zone = { ...LEFT_HALF, polygon: [[0, 0], [0.4, 0], [0.4, 1], [0, 1]] };
  assert.deepEqual(
    summary(events.configure({ zones: [moved, keep], lines: [], leaveAfterMs: 1000 }, 100)),
    [
      "close zone:left:t1:1 @100",
    ],
  );
  assert.deepEqual(summary(frame(200)), ["open zone left t1 @200"]);
  assert.deepEqual(events.openKeys().sort(), ["object:t1", "zone:keep:t1:1", "zone:left:t1:2"]);
});

Deno.test("reduceEvents() does not change the state it is given", () => {
  const state = initialEventState({ zones: [LEFT_HALF], lines: [], leaveAfterMs: 1000 });
  const track = {
    id: "t1",
    label: "person",
    classId: 0,
    box: [80, 200, 120, 300] as Box,
    score: 0.9,
    bestScore: 0.9,
    hits: 3,
    misses: 0,
    confirmed: true,
    firstSeen: 0,
    lastSeen: 400,
  };
  const before = structuredClone(state);
  const step = reduceEvents(state, {
    type: "frame",
    now: 400,
    width: W,
    height: H,
    tracks: [track],
    ended: [],
  });
  assert.deepEqual(state, before);
  assert.equal(step.actions.length, 2);
  assert.equal(step.state.open.size, 2);
});
