import assert from "node:assert/strict";
import { learnSenderReport, ntpTime, senderReport } from "../../../models/rtsp/rtcp.ts";
import { newTrackClock, resyncClock, rewriteRtp } from "../../../models/rtsp/rtp.ts";

function rtp(seq: number, ts: number): Uint8Array {
  const p = new Uint8Array(112);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 96;
  v.setUint16(2, seq);
  v.setUint32(4, ts);
  return p;
}

function publisherSr(rtpTime: number): Uint8Array {
  const sr = new Uint8Array(28 + 12);
  const v = new DataView(sr.buffer);
  sr[0] = 0x80;
  sr[1] = 200;
  v.setUint16(2, 6);
  v.setUint32(4, 0x99);
  v.setUint32(8, 3_000_000_000); // the publisher's clock, years off ours
  v.setUint32(16, rtpTime);
  sr[28] = 0x81;
  sr[29] = 202;
  return sr;
}

const fields = (sr: Uint8Array) => {
  const v = new DataView(sr.buffer);
  return {
    type: sr[1],
    words: v.getUint16(2),
    ssrc: v.getUint32(4),
    ntp: [v.getUint32(8), v.getUint32(12)],
    rtp: v.getUint32(16),
    packets: v.getUint32(20),
    octets: v.getUint32(24),
  };
};

Deno.test("ntpTime() counts from 1900 with a 32-bit fraction", () => {
  assert.deepEqual(ntpTime(0), [2_208_988_800, 0]);
  assert.deepEqual(ntpTime(1500), [2_208_988_801, 2 ** 31]);
});

Deno.test("senderReport() maps the wall clock to the track's rewritten RTP time", async (t) => {
  const clock = newTrackClock(0xabcd, 90000, { seq: 0, ts: 1000 });
  await t.step("none before the first packet", () => {
    assert.equal(senderReport(clock, 0), null);
  });
  rewriteRtp(clock, rtp(5, 77), 10_000);
  rewriteRtp(clock, rtp(6, 77 + 3600), 10_040);
  await t.step("RTP time of the same instant, packets and octets sent", () => {
    const sr = senderReport(clock, 11_000)!;
    assert.equal(sr.length, 28);
    assert.deepEqual(fields(sr), {
      type: 200,
      words: 6,
      ssrc: 0xabcd,
      ntp: ntpTime(11_000),
      rtp: 1000 + 90_000,
      packets: 2,
      octets: 200,
    });
  });
  await t.step("a packet that came late does not move the mapping", () => {
    rewriteRtp(clock, rtp(7, 77 + 7200), 10_500);
    assert.equal(fields(senderReport(clock, 11_000)!).rtp, 1000 + 90_000);
  });
});

Deno.test("learnSenderReport() takes the publisher's RTP time for the instant it arrived", () => {
  const clock = newTrackClock(1, 90000, { seq: 0, ts: 5000 });
  assert.equal(learnSenderReport(clock, publisherSr(100), 0), false, "no mapping before sync");
  rewriteRtp(clock, rtp(1, 100), 1000); // offset +4900
  assert.equal(learnSenderReport(clock, publisherSr(100 + 900), 2000), true);
  assert.equal(fields(senderReport(clock, 2000)!).rtp, 5000 + 900, "its clock, not its NTP");
  assert.equal(learnSenderReport(clock, publisherSr(1).subarray(28), 2000), false, "not an SR");
  resyncClock(clock);
  rewriteRtp(clock, rtp(50, 9), 2100);
  assert.ok(senderReport(clock, 2100), "a new publisher keeps the mapping until it reports");
});
