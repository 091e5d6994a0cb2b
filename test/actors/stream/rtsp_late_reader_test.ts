/**
 * A late reader starts from the keyframe cache, up to a GOP of media older than the live edge:
 * it gets that media no faster than a receiver's jitter buffer can follow
 * (models/rtsp/late_start.ts), while Vigil's own readers (which stamp from RTP time) get it at once.
 */
import assert from "node:assert/strict";
import { Stream, type StreamReader } from "../../../actors/stream/rtsp_stream.ts";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type { RtspAuthRequest } from "../../../actors/stream/rtsp_server_types.ts";
import { basicAuth, RawRtsp } from "../../support/rtsp_client.ts";
import { makeClip, startPublisher } from "../../support/relay.ts";
import { waitFor } from "../../support/rtsp.ts";
import { H264_SDP } from "../../support/sdp.ts";

/** An RTP packet of one picture: an IDR slice or a non-IDR one. */
function picture(seq: number, ts: number, idr: boolean): Uint8Array {
  const packet = new Uint8Array(16);
  packet[0] = 0x80;
  packet[1] = 0x80 | 96; // marker: the picture's last packet
  const view = new DataView(packet.buffer);
  view.setUint16(2, seq);
  view.setUint32(4, ts >>> 0);
  view.setUint32(8, 42);
  packet.set(idr ? [0x65, 0x88, 0, 0] : [0x41, 0x9a, 0, 0], 12);
  return packet;
}

/** A reader counting the RTP frames queued to it. */
function reader(internal: boolean): { reader: StreamReader; rtp: () => number } {
  let rtp = 0;
  const r: StreamReader = {
    conn: {
      send: (f) => (f[1] === 0 && rtp++, true),
      close() {},
      queueLimit: 1 << 20,
      reason: "eof",
      droppedFrames: 0,
    },
    channels: [[0, 1]],
    internal,
  };
  return { reader: r, rtp: () => rtp };
}

Deno.test("stream: a late reader gets the cached GOP on its own schedule, Vigil's own readers at once", async () => {
  const stream = new Stream("/cam", H264_SDP, 1 << 20);
  stream.publish({ close() {} }, H264_SDP);
  // A keyframe and 49 pictures at 25 fps that arrived in real time over the last 2 s (the
  // publisher's start window is over: no path pacing).
  const start = Date.now() - 2000;
  for (let i = 0; i < 50; i++) {
    stream.forward(0, false, picture(i, i * 3600, i === 0), start + i * 40);
  }
  const own = reader(true);
  const late = reader(false);
  const now = Date.now();
  stream.attach(own.reader, now);
  stream.attach(late.reader, now);
  try {
    assert.equal(own.rtp(), 50, "Vigil's own reader: the whole cache at once");
    assert.ok(late.rtp() <= 2, `a late reader: ${late.rtp()} of 50 at once`);
    // Twice real time: 0.5 s later, the cache's first second (26 pictures), never more.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(late.rtp() >= 13 && late.rtp() <= 26, `${late.rtp()} pictures after 0.5 s`);
  } finally {
    stream.detach(late.reader); // drops what its pacing holds, and the timer
    stream.unpublish();
  }
});

Deno.test({
  name:
    "a late reader gets a 10 s GOP's cache no faster than twice real time, and only 0.5 s of it faster than real time",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-late-reader-" });
    const clip = await makeClip(dir, { gop: 250, kbps: 1000 });
    const secret = "internal-secret";
    const authorize = (r: RtspAuthRequest) => {
      const c = r.credentials;
      const password = c?.scheme === "basic" ? c.password : null;
      if (password === secret) return { allowed: true as const, internal: true };
      return r.action === "read" && password === "pw"
        ? { allowed: true as const }
        : { allowed: false as const };
    };
    const server = await startRtspServer({ port: 0, authorize });
    const publisher = startPublisher(
      server.url("/cam/gop").replace("rtsp://", `rtsp://vigil:${secret}@`),
      clip,
    );
    const client = await RawRtsp.connect(server.port);
    try {
      await waitFor(() => server.stats("/cam/gop")?.publishing === true, 15_000, "published");
      // Join 4.5 s into the 10 s GOP, after the publisher's own start pacing (4 s).
      await new Promise((r) => setTimeout(r, 4500));
      const got: { at: number; ts: number }[] = [];
      client.onPacket = (channel, p) => {
        if (channel === 0) {
          got.push({
            at: performance.now(),
            ts: new DataView(p.buffer, p.byteOffset).getUint32(4),
          });
        }
      };
      assert.equal(await client.play(server.url("/cam/gop"), [basicAuth("v", "pw")]), 200);
      client.startReading();
      await new Promise((r) => setTimeout(r, 3000));
      const first = got[0]!;
      const media = (p: { ts: number }) => (((p.ts - first.ts) | 0) * 1000) / 90_000;
      const ahead = media(got.at(-1)!) - (got.at(-1)!.at - first.at);
      assert.ok(
        media(got.at(-1)!) >= 2500,
        `media ${media(got.at(-1)!)} ms in 3 s: the cache came`,
      );
      for (const p of got) {
        const elapsed = p.at - first.at;
        // Timers fire late, never early: 100 ms of slack for the server's event loop.
        assert.ok(elapsed >= media(p) / 2 - 100, `${media(p)} ms of media after ${elapsed} ms`);
        assert.ok(elapsed >= media(p) - 500 - 100, `${media(p)} ms of media after ${elapsed} ms`);
      }
      // It did catch up (the fast 0.5 s), so it is not slower than real time either.
      assert.ok(ahead >= 300, `${ahead.toFixed(0)} ms of media more than real time after 3 s`);
    } finally {
      await client.close();
      await publisher.stop();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
