import assert from "node:assert/strict";
import {
  burstAge,
  caughtUp,
  FAST_CATCH_UP_MS,
  lateStartDelay,
  mediaOffset,
  SETTLE_MS,
  SLOW_CATCH_UP,
} from "../../../models/rtsp/late_start.ts";
import { lateReader, stampPictures } from "../../support/jitterbuffer_model.ts";

Deno.test("lateStartDelay(): the first 0.5 s of lag at twice real time, then real time, then 2% faster", () => {
  const cases: [media: number, behind: number, delay: number][] = [
    [0, 900, 0],
    [400, 900, 200],
    [1000, 900, 500], // 0.5 s caught up
    [1500, 900, 1000], // real time
    [2000, 900, 1500],
    [12_000, 900, 11_300], // the last 0.4 s at 2%: 0.2 s of it back 10 s later
    [60_000, 900, 59_100], // caught up: the live edge, never ahead of it
    [300, 200, 150], // a short lag: all of it at twice real time
    [400, 200, 200],
    [1000, 200, 800],
    [500, 0, 500], // no lag: real time
    [-40, 900, 0], // a packet older than the first: at once
  ];
  for (const [media, behind, delay] of cases) {
    assert.equal(lateStartDelay(media, behind), delay, `media ${media} behind ${behind}`);
  }
  assert.equal(FAST_CATCH_UP_MS, 500);
  assert.equal(SETTLE_MS, 2000);
  assert.equal(SLOW_CATCH_UP, 0.02);
});

Deno.test("caughtUp() is true once the whole lag is back, and only then", () => {
  assert.equal(caughtUp(999, 500), false);
  assert.equal(caughtUp(1000, 500), true);
  assert.equal(caughtUp(2000, 900), false);
  assert.equal(caughtUp(22_000, 900), true); // 0.4 s at 2% takes 20 s after the 2 s
  assert.equal(caughtUp(0, 0), true);
});

Deno.test("a late reader paced by lateStartDelay keeps a slave-mode jitter buffer's stamps increasing", () => {
  for (const fps of [5, 10, 15, 25, 30, 60]) {
    for (const behind of [0.1, 0.3, 0.6, 0.9, 1.2, 1.6, 2.5, 4, 7, 10]) {
      const pictures = lateReader(
        behind,
        fps,
        30 + behind / SLOW_CATCH_UP,
        (m) => lateStartDelay(m * 1000, behind * 1000) / 1000,
      );
      assert.deepEqual(
        stampPictures(pictures),
        { clamped: 0, restarts: 0 },
        `${fps} fps, ${behind.toFixed(1)} s`,
      );
    }
  }
});

Deno.test("the jitter buffer model clamps stamps of a cached GOP sent at once (the defect paced away)", () => {
  // 25 fps, joined 0.3 s and 0.9 s after a keyframe: the relay's cache sent in one instant.
  assert.deepEqual(stampPictures(lateReader(0.3, 25, 5, () => 0)).clamped, 0);
  assert.ok(stampPictures(lateReader(0.9, 25, 5, () => 0)).clamped > 0);
});

Deno.test("burstAge(): since the relay received the burst's oldest packet, of any track", () => {
  assert.equal(burstAge([], 5000), 0);
  assert.equal(burstAge([{ at: 1000 }, { at: 1040 }], 1900), 900);
  // An audio packet received before the keyframe's first packet counts.
  assert.equal(burstAge([{ at: 1040 }, { at: 1000 }, { at: 1080 }], 3000), 2000);
});

Deno.test("mediaOffset(): RTP time after the track's first packet, from where that one arrived", () => {
  assert.equal(mediaOffset({ ts: 1000, ms: 0 }, 1000 + 90_000, 90_000), 1000);
  assert.equal(mediaOffset({ ts: 1000, ms: 40 }, 1000 + 4800, 48_000), 140);
  // Across the 2^32 wrap.
  assert.equal(mediaOffset({ ts: 0xffff_ff00, ms: 0 }, 0x0000_ff00, 65_536), 1000);
});
