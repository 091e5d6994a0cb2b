import assert from "node:assert/strict";
import {
  keyframeStart,
  newTrackClock,
  resyncClock,
  rewriteRtp,
  rewriteSenderReport,
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

Deno.test("rewriteSenderReport() maps the SR's RTP time like the packets and drops the rest", () => {
  const clock = newTrackClock(7, 90000);
  const sr = new Uint8Array(28 + 12);
  const v = new DataView(sr.buffer);
  sr[0] = 0x80;
  sr[1] = 200;
  v.setUint16(2, 6); // 7 words
  v.setUint32(4, 0x99);
  v.setUint32(16, 1000);
  sr[28] = 0x81;
  sr[29] = 202; // SDES after it
  assert.equal(rewriteSenderReport(clock, sr), null, "no mapping before the first packet");
  rewriteRtp(clock, rtp(1, 500), 0);
  resyncClock(clock);
  rewriteRtp(clock, rtp(9, 100), 1000); // tsOffset = 500 + 90000 - 100
  const out = rewriteSenderReport(clock, sr);
  assert.ok(out);
  assert.equal(out.length, 28);
  const o = new DataView(out.buffer);
  assert.equal(o.getUint32(4), 7);
  assert.equal(o.getUint32(16), 1000 + 500 + 90000 - 100);
  assert.equal(rewriteSenderReport(clock, sr.subarray(28)), null, "not an SR");
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
