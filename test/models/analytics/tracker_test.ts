import assert from "node:assert/strict";
import {
  createTracker,
  type Track,
  type TrackerOptions,
} from "../../../models/analytics/tracker.ts";
import type { Box, Detection } from "../../../models/detectors/types.ts";

const FRAME_MS = 200; // 5 fps

function person(box: Box, score = 0.8): Detection {
  return { label: "person", classId: 0, score, box };
}

function counterIds(): () => string {
  let n = 0;
  return () => `t${++n}`;
}

function tracker(options: Partial<TrackerOptions> = {}) {
  return createTracker({ confirmFrames: 3, leaveAfterMs: 1500, newId: counterIds(), ...options });
}

/** The ids of the tracks seen in this frame, by the x of their box. */
function seen(tracks: readonly Track[]): Track[] {
  return tracks.filter((t) => t.misses === 0).sort((a, b) => a.box[0] - b.box[0]);
}

Deno.test("a box moving across the frame keeps one track id and is confirmed after 3 hits", () => {
  const tr = tracker();
  const ids = new Set<string>();
  const confirmed: boolean[] = [];
  for (let i = 0; i < 30; i++) {
    const x = 10 + i * 20;
    const { tracks, ended } = tr.update([person([x, 100, x + 40, 200])], i * FRAME_MS);
    assert.deepEqual(ended, []);
    assert.equal(tracks.length, 1);
    ids.add(tracks[0]!.id);
    confirmed.push(tracks[0]!.confirmed);
  }
  assert.deepEqual([...ids], ["t1"]);
  assert.deepEqual(confirmed.slice(0, 4), [false, false, true, true]);
});

Deno.test("a track survives a 2-frame occlusion and keeps its id", () => {
  const tr = tracker();
  const at = (i: number): Box => [10 + i * 25, 100, 50 + i * 25, 200];
  for (let i = 0; i < 5; i++) tr.update([person(at(i))], i * FRAME_MS);
  const hidden = tr.update([], 5 * FRAME_MS);
  assert.equal(hidden.tracks[0]?.misses, 1);
  tr.update([], 6 * FRAME_MS);
  const back = tr.update([person(at(7))], 7 * FRAME_MS);
  assert.deepEqual(back.tracks.map((t) => [t.id, t.misses, t.hits]), [["t1", 0, 6]]);
  assert.deepEqual(back.ended, []);
});

Deno.test("a track ends once unseen for leaveAfterMs, reporting its last sighting", () => {
  const tr = tracker({ leaveAfterMs: 1000 });
  for (let i = 0; i < 4; i++) tr.update([person([100, 100, 140, 200])], i * FRAME_MS);
  const ends: Track[][] = [];
  for (let i = 4; i <= 10; i++) ends.push(tr.update([], i * FRAME_MS).ended);
  // Last seen at 600 ms: still alive at 1400 ms (800 ms unseen), ended at 1600 ms (1000 ms).
  assert.deepEqual(ends.map((e) => e.length), [0, 0, 0, 0, 1, 0, 0]);
  const [gone] = ends[4]!;
  assert.equal(gone?.id, "t1");
  assert.equal(gone?.lastSeen, 600);
  assert.equal(gone?.confirmed, true);
});

Deno.test("a one-frame ghost is dropped at its second miss and never confirmed", () => {
  const tr = tracker();
  tr.update([person([100, 100, 140, 200], 0.5)], 0);
  assert.deepEqual(tr.update([], 200).ended, []);
  const { tracks, ended } = tr.update([], 400);
  assert.deepEqual(tracks, []);
  assert.deepEqual(ended.map((t) => [t.id, t.confirmed]), [["t1", false]]);
});

Deno.test("two people crossing each other keep their own ids", async (t) => {
  const cases: [string, (i: number) => boolean][] = [
    ["both detected throughout", () => true],
    ["the one behind is not detected while they overlap", (i) => i < 9 || i > 11],
  ];
  for (const [name, backVisible] of cases) {
    await t.step(name, () => {
      const tr = tracker();
      const first = new Map<string, string>();
      for (let i = 0; i <= 20; i++) {
        // A walks right, B walks left, a little lower; they meet at i = 10.
        const ax = 100 + i * 20;
        const bx = 500 - i * 20;
        const detections = [person([ax, 100, ax + 40, 200])];
        if (backVisible(i)) detections.push(person([bx, 110, bx + 40, 210]));
        const { tracks } = tr.update(detections, i * FRAME_MS);
        if (i === 0) {
          const [a, b] = seen(tracks);
          first.set("A", a!.id);
          first.set("B", b!.id);
        }
        if (i === 20) {
          const [left, right] = seen(tracks);
          // After the crossing B is on the left and A on the right.
          assert.equal(left?.id, first.get("B"));
          assert.equal(right?.id, first.get("A"));
          assert.equal(tracks.length, 2);
        }
      }
    });
  }
});

Deno.test("a fast object whose boxes do not overlap is followed by centre distance", () => {
  const tr = tracker();
  const ids = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const x = 10 + i * 45; // moves more than its 40 px width per frame: IoU is 0
    ids.add(tr.update([person([x, 100, x + 40, 200])], i * FRAME_MS).tracks[0]!.id);
  }
  assert.deepEqual([...ids], ["t1"]);
});

Deno.test("detections of different labels never continue each other's track", () => {
  const tr = tracker();
  tr.update([person([100, 100, 200, 200])], 0);
  const car: Detection = { label: "car", classId: 2, score: 0.9, box: [100, 100, 200, 200] };
  const { tracks } = tr.update([car], 200);
  assert.deepEqual(tracks.map((t) => [t.id, t.label, t.misses]), [["t1", "person", 1], [
    "t2",
    "car",
    0,
  ]]);
});

Deno.test("a track remembers its best score", () => {
  const tr = tracker();
  const scores = [0.5, 0.9, 0.6];
  let last: Track | undefined;
  scores.forEach((score, i) => {
    last = tr.update([person([100, 100, 140, 200], score)], i * FRAME_MS).tracks[0];
  });
  assert.equal(last?.score, 0.6);
  assert.equal(last?.bestScore, 0.9);
});

Deno.test("expire() ends stale tracks without a detector run, clear() ends all", () => {
  const tr = tracker({ leaveAfterMs: 1000 });
  tr.update([person([0, 0, 40, 100])], 0);
  tr.update([person([300, 0, 340, 100])], 800);
  assert.deepEqual(tr.expire(1500).map((t) => t.id), ["t1"]);
  assert.deepEqual(tr.clear().map((t) => t.id), ["t2"]);
  assert.deepEqual(tr.update([], 2000), { tracks: [], ended: [] });
});

Deno.test("returned tracks are snapshots that later updates do not change", () => {
  const tr = tracker();
  const before = tr.update([person([0, 0, 40, 100])], 0).tracks[0]!;
  tr.update([person([10, 0, 50, 100])], 200);
  assert.deepEqual(before.box, [0, 0, 40, 100]);
  assert.equal(before.hits, 1);
});

Deno.test("track ids are UUIDs by default", () => {
  const tr = createTracker({ confirmFrames: 1, leaveAfterMs: 1000 });
  const { tracks } = tr.update([person([0, 0, 10, 10]), person([50, 50, 60, 60])], 0);
  assert.equal(tracks.length, 2);
  assert.notEqual(tracks[0]!.id, tracks[1]!.id);
  for (const track of tracks) assert.match(track.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  assert.ok(tracks.every((t) => t.confirmed));
});

Deno.test("createTracker() rejects out-of-range options naming them", () => {
  assert.throws(() => tracker({ confirmFrames: 0 }), /'confirmFrames'/);
  assert.throws(() => tracker({ leaveAfterMs: -1 }), /'leaveAfterMs'/);
  assert.throws(() => tracker({ iouThreshold: 0 }), /'iouThreshold'/);
});

Deno.test("six people wandering with jittery, missed detections mostly keep their ids", () => {
  // A seeded crowd: 6 people bouncing around a 640x360 frame for 20 s at 5 fps, crossing each
  // other; each detection misses 10% of the time and its box jitters by up to 3 px.
  let seedState = 7;
  const random = () => {
    seedState = (seedState * 1103515245 + 12345) & 0x7fffffff;
    return seedState / 0x7fffffff;
  };
  let switches = 0;
  let peopleCount = 0;
  for (let round = 0; round < 5; round++) {
    const people = Array.from({ length: 6 }, () => ({
      x: random() * 600,
      y: 120 + random() * 220,
      vx: (random() - 0.5) * 120,
      vy: (random() - 0.5) * 30,
      w: 30 + random() * 20,
    }));
    const tr = tracker({ leaveAfterMs: 1500 });
    const idsOf = people.map(() => new Set<string>());
    for (let f = 0; f < 100; f++) {
      const shown: [number, Detection][] = [];
      people.forEach((p, k) => {
        p.x += p.vx * FRAME_MS / 1000;
        p.y += p.vy * FRAME_MS / 1000;
        if (p.x < 0 || p.x > 640) p.vx = -p.vx;
        if (p.y < 120 || p.y > 350) p.vy = -p.vy;
        if (random() < 0.1) return;
        const jitter = () => (random() - 0.5) * 6;
        const box: Box = [
          p.x - p.w / 2 + jitter(),
          p.y - p.w * 2.5 + jitter(),
          p.x + p.w / 2 + jitter(),
          p.y + jitter(),
        ];
        shown.push([k, person(box, 0.5 + random() * 0.5)]);
      });
      const { tracks } = tr.update(shown.map(([, d]) => d), f * FRAME_MS);
      for (const [k, d] of shown) {
        // A track seen this frame carries exactly its detection's box.
        const track = tracks.find((t) => t.misses === 0 && t.box.every((v, i) => v === d.box[i]));
        if (track?.confirmed) idsOf[k]!.add(track.id);
      }
    }
    switches += idsOf.reduce((sum, ids) => sum + Math.max(0, ids.size - 1), 0);
    peopleCount += people.length;
  }
  assert.ok(switches * 4 < peopleCount, `${switches} id switches for ${peopleCount} people`);
});

Deno.test("configure() keeps live tracks under new confirmation and leave rules", async (t) => {
  await t.step("a confirmed track keeps its id after the rules change", () => {
    const tr = tracker({ confirmFrames: 2 });
    tr.update([person([0, 0, 40, 80])], 0);
    const before = tr.update([person([0, 0, 40, 80])], FRAME_MS).tracks[0]!;
    assert.ok(before.confirmed);
    tr.configure({ confirmFrames: 5, leaveAfterMs: 3000 });
    const after = tr.update([person([0, 0, 40, 80])], 2 * FRAME_MS).tracks;
    assert.deepEqual(after.map((x) => [x.id, x.confirmed]), [[before.id, true]]);
  });
  await t.step("a tentative track is confirmed at its next hit under a lower confirmFrames", () => {
    const tr = tracker({ confirmFrames: 5 });
    tr.update([person([0, 0, 40, 80])], 0);
    tr.update([person([0, 0, 40, 80])], FRAME_MS);
    tr.configure({ confirmFrames: 2, leaveAfterMs: 1500 });
    assert.equal(tr.update([person([0, 0, 40, 80])], 2 * FRAME_MS).tracks[0]!.confirmed, true);
  });
  await t.step("a shorter leaveAfterMs ends an unseen track through `ended`", () => {
    const tr = tracker({ confirmFrames: 1, leaveAfterMs: 5000 });
    const { id } = tr.update([person([0, 0, 40, 80])], 0).tracks[0]!;
    tr.configure({ confirmFrames: 1, leaveAfterMs: 500 });
    assert.deepEqual(tr.update([], 600).ended.map((x) => x.id), [id]);
  });
  await t.step("out-of-range rules are refused and change nothing", () => {
    const tr = tracker({ confirmFrames: 1, leaveAfterMs: 1000 });
    tr.update([person([0, 0, 40, 80])], 0);
    assert.throws(() => tr.configure({ confirmFrames: 0, leaveAfterMs: 10 }), RangeError);
    assert.deepEqual(tr.update([], 900).ended, []);
  });
});
