// A publisher's first seconds are paced by RTP time (catchUpDue). One packet whose timestamp jumps
// forward (a camera's clock step, a bad pts) must not be held until it is "due" — up to hours away
// — with every later packet queued behind it: the path would freeze and its memory grow.
import assert from "node:assert/strict";
import { Stream } from "../../../actors/stream/rtsp_stream.ts";
import { PACED_MAX_PACKETS } from "../../../actors/stream/rtsp_pacer.ts";
import { H264_SDP } from "../../support/sdp.ts";

/** An RTP packet carrying a non-IDR slice. */
function rtp(seq: number, ts: number): Uint8Array {
  const packet = new Uint8Array(16);
  packet[0] = 0x80;
  packet[1] = 0x80 | 96;
  const view = new DataView(packet.buffer);
  view.setUint16(2, seq);
  view.setUint32(4, ts >>> 0);
  view.setUint32(8, 42);
  packet.set([0x41, 0x9a, 0, 0], 12);
  return packet;
}

/** A published stream with one reader counting what it gets. */
function publishedStream(): { stream: Stream; received: () => number } {
  const stream = new Stream("/cam", H264_SDP, 1 << 20);
  stream.publish({ close() {} }, H264_SDP);
  let received = 0;
  stream.attach({
    conn: {
      send: () => (received++, true),
      close() {},
      queueLimit: 1 << 20,
      reason: "eof",
      droppedFrames: 0,
    },
    channels: [[0, 1]],
    internal: false,
  });
  return { stream, received: () => received };
}

Deno.test("stream: one forward timestamp jump at a publisher's start does not freeze the path", async () => {
  const { stream, received } = publishedStream();
  let seq = 0;
  try {
    stream.forward(0, false, rtp(seq++, 0), Date.now());
    stream.forward(0, false, rtp(seq++, 90_000 * 3600), Date.now()); // +1 h: one bad timestamp
    // Then a normal 25 fps stream for 1.5 s, going on from the first packet's clock.
    for (let i = 1; i <= 37; i++) {
      await new Promise((r) => setTimeout(r, 40));
      stream.forward(0, false, rtp(seq++, i * 3600), Date.now());
    }
    assert.ok(received() >= 30, `the reader got ${received()} of ${seq} packets in 1.5 s`);
  } finally {
    stream.unpublish(); // sends everything held (and clears the pacer's timer)
  }
});

Deno.test("stream: a publisher's start burst held for pacing is bounded", () => {
  const { stream, received } = publishedStream();
  try {
    // Two seconds of media arriving at once, packet after packet: paced, so held at first.
    const now = Date.now();
    stream.forward(0, false, rtp(0, 0), now);
    const total = PACED_MAX_PACKETS + 100;
    for (let i = 1; i <= total; i++) stream.forward(0, false, rtp(i, 90_000 * 2), now);
    // Held without bound, only the first packet (and its sender report) would be out by now.
    assert.ok(received() > PACED_MAX_PACKETS, `held past the bound: ${received()} of ${total} out`);
  } finally {
    stream.unpublish();
  }
});
