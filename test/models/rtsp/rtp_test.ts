import assert from "node:assert/strict";
import {
  CATCH_UP_MS,
  catchUpDue,
  keyframeStart,
  newTrackClock,
  nextPosition,
  resyncClock,
  rewriteRtp,
  rtpPayload,
  rtpTimestamp,
} from "../../../models/rtsp/rtp.ts";

function rtp(seq: number, ts: number, ssrc = 0xaabbccdd, payload = [0x65]): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 96;
  v.setUint16(2, seq);
  v.setUint32(4, ts);
  v.setUint32(8, ssrc);
  p.set(payload, 12);
  return p;
}
const fields = (p: Uint8Array) => {
  const v = new DataView(p.buffer, p.byteOffset);
  return { seq: v.getUint16(2), ts: v.getUint32(4), ssrc: v.getUint32(8) };
};

Deno.test("rewriteRtp() keeps the first publisher's numbers and sets the path's SSRC", () => {
  const clock = newTrackClock(0x1234, 90000);
  const a = rtp(100, 5000);
  rewriteRtp(clock, a, 0);
  assert.deepEqual(fields(a), { seq: 100, ts: 5000, ssrc: 0x1234 });
  const b = rtp(101, 8000);
  rewriteRtp(clock, b, 33);
  assert.deepEqual(fields(b), { seq: 101, ts: 8000, ssrc: 0x1234 });
});

Deno.test("rewriteRtp() continues sequence and time across a new publisher", () => {
  const clock = newTrackClock(7, 90000);
  rewriteRtp(clock, rtp(65535, 0xffffff00), 1000);
  resyncClock(clock);
  // The new publisher starts at random numbers two seconds later.
  const next = rtp(17, 123456, 0x99);
  rewriteRtp(clock, next, 3000);
  assert.deepEqual(fields(next), { seq: 0, ts: (0xffffff00 + 180000) >>> 0, ssrc: 7 });
  const after = rtp(18, 123456 + 3000, 0x99);
  rewriteRtp(clock, after, 3033);
  assert.deepEqual(fields(after), { seq: 1, ts: (0xffffff00 + 183000) >>> 0, ssrc: 7 });
});

Deno.test("rewriteRtp() maps a new path's first packet to the clock's start, which nextPosition() tells", () => {
  const clock = newTrackClock(7, 90000, { seq: 500, ts: 1_000_000 });
  assert.deepEqual(nextPosition(clock), { seq: 500, ts: 1_000_000 }, "known before any packet");
  const first = rtp(40_000, 123);
  rewriteRtp(clock, first, 0);
  assert.deepEqual(fields(first), { seq: 500, ts: 1_000_000, ssrc: 7 });
  const second = rtp(40_001, 123 + 3600);
  rewriteRtp(clock, second, 40);
  assert.deepEqual(fields(second), { seq: 501, ts: 1_003_600, ssrc: 7 });
  assert.deepEqual(nextPosition(clock), { seq: 502, ts: 1_003_600 });
});

Deno.test("catchUpDue() paces a publisher's first seconds at twice real time, then nothing", () => {
  const clock = newTrackClock(7, 90000, { seq: 0, ts: 1000 });
  const p = rtp(3, 50);
  rewriteRtp(clock, p, 10_000);
  assert.equal(catchUpDue(clock, fields(p).ts), 10_000, "the first packet at once");
  // A burst: a second of media arriving 5 ms later is due half a second after the first.
  const burst = rtp(28, 50 + 90000);
  rewriteRtp(clock, burst, 10_005);
  assert.equal(catchUpDue(clock, fields(burst).ts), 10_500);
  // A forward jump (an hour) would be due long after the window: it goes at once instead.
  const jump = rtp(29, 50 + 90000 * 3600);
  rewriteRtp(clock, jump, 10_010);
  assert.equal(catchUpDue(clock, fields(jump).ts), 0, "a timestamp jump is not held");
  const late = rtp(200, 50 + 90000 * 5);
  rewriteRtp(clock, late, 10_000 + CATCH_UP_MS);
  assert.equal(catchUpDue(clock, fields(late).ts), 0, "after the window: no pacing");
  resyncClock(clock);
  const next = rtp(9, 7);
  rewriteRtp(clock, next, 20_000);
  assert.equal(catchUpDue(clock, fields(next).ts), 20_000, "a new publisher is paced again");
});

Deno.test("rewriteRtp() gives a video picture stamped like the one before one tick more", () => {
  const clock = newTrackClock(7, 90000, { seq: 0, ts: 1000 });
  const marked = (seq: number, ts: number, marker: boolean) => {
    const p = rtp(seq, ts);
    if (marker) p[1] = p[1]! | 0x80;
    rewriteRtp(clock, p, 0);
    return fields(p).ts;
  };
  assert.equal(marked(1, 50, false), 1000, "first packet of a picture");
  assert.equal(marked(2, 50, true), 1000, "its last packet: same picture, same time");
  assert.equal(marked(3, 50, false), 1001, "the next picture, stamped alike by its publisher");
  assert.equal(marked(4, 50, true), 1001);
  assert.equal(marked(5, 50 + 3600, true), 1001 + 3600, "later pictures keep their spacing");
  const audio = newTrackClock(8, 48000, { seq: 0, ts: 0 });
  const a = rtp(1, 10);
  a[1] = a[1]! | 0x80;
  rewriteRtp(audio, a, 0);
  const b = rtp(2, 10);
  rewriteRtp(audio, b, 0);
  assert.equal(fields(b).ts, 0, "audio is left as it is");
});

Deno.test("rtpPayload() skips CSRCs and the header extension", () => {
  const p = new Uint8Array([
    0x91,
    96,
    0,
    1,
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    2,
    0xbe,
    0xde,
    0,
    1,
    1,
    2,
    3,
    4,
    0x65,
    0x88,
  ]);
  assert.deepEqual([...rtpPayload(p)], [0x65, 0x88]);
  assert.equal(rtpTimestamp(p), 9);
  assert.equal(rtpPayload(new Uint8Array(4)).length, 0);
});

Deno.test("keyframeStart() finds H.264 and H.265 keyframes in every packetization", async (t) => {
  const cases: [string, string, number[], boolean][] = [
    ["H.264 SPS", "H264", [0x67, 0x42], true],
    ["H.264 IDR slice", "H264", [0x65, 0x88], true],
    ["H.264 P slice", "H264", [0x41, 0x9a], false],
    ["H.264 STAP-A with SPS and PPS", "H264", [0x18, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce], true],
    ["H.264 STAP-A with SEI only", "H264", [0x18, 0, 2, 0x06, 0x05], false],
    ["H.264 first FU-A of an IDR", "H264", [0x7c, 0x85, 0x88], true],
    ["H.264 later FU-A of an IDR", "H264", [0x7c, 0x05, 0x88], false],
    ["H.264 first FU-A of a P slice", "H264", [0x5c, 0x81, 0x9a], false],
    ["H.265 VPS", "H265", [0x40, 0x01], true],
    ["H.265 IDR_W_RADL", "H265", [0x26, 0x01], true],
    ["H.265 TRAIL_R", "H265", [0x02, 0x01], false],
    ["H.265 AP with VPS", "H265", [0x60, 0x01, 0, 2, 0x40, 0x01], true],
    ["H.265 first FU of a CRA", "H265", [0x62, 0x01, 0x95], true],
    ["H.265 later FU of a CRA", "H265", [0x62, 0x01, 0x15], false],
    ["AAC never", "MPEG4-GENERIC", [0x00, 0x10], false],
  ];
  for (const [name, encoding, payload, want] of cases) {
    await t.step(name, () => assert.equal(keyframeStart(encoding, new Uint8Array(payload)), want));
  }
});
