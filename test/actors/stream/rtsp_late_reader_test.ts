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

/** An RTP packet: of an IDR slice or a non-IDR one; `marker` on a picture's last packet. */
function picture(seq: number, ts: number, idr: boolean, marker = true, size = 16): Uint8Array {
  const packet = new Uint8Array(size);
  packet[0] = 0x80;
  packet[1] = (marker ? 0x80 : 0) | 96;
  const view = new DataView(packet.buffer);
  view.setUint16(2, seq & 0xffff);
  view.setUint32(4, ts >>> 0);
  view.setUint32(8, 42);
  packet.set(idr ? [0x65, 0x88, 0, 0] : [0x41, 0x9a, 0, 0], 12);
  return packet;
}

/** A publisher's RTCP sender report saying that RTP time `ts` is now. */
function publisherReport(ts: number): Uint8Array {
  const sr = new Uint8Array(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr[3] = 6;
  new DataView(sr.buffer).setUint32(16, ts >>> 0);
  return sr;
}

/** A reader counting the RTP frames queued to it (RtspConn's queue limit: 4 MiB). */
function reader(internal: boolean, limit = 4 << 20): { reader: StreamReader; rtp: () => number } {
  let rtp = 0;
  const r: StreamReader = {
    conn: {
      send: (f) => (f[1] === 0 && rtp++, true),
      close() {},
      queueLimit: limit,
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

Deno.test("stream: a late reader is paced when the publisher's report maps its media ahead of arrival (ffmpeg)", () => {
  const stream = new Stream("/cam", H264_SDP, 1 << 20);
  stream.publish({ close() {} }, H264_SDP);
  const start = Date.now() - 2000;
  stream.forward(0, false, picture(0, 0, true), start);
  // ffmpeg's report after its probe burst: its packets' RTP time 1 s ahead of their arrival.
  stream.forward(0, true, publisherReport(-90_000), start);
  for (let i = 1; i < 50; i++) {
    stream.forward(0, false, picture(i, i * 3600, false), start + i * 40);
  }
  const late = reader(false);
  stream.attach(late.reader, Date.now());
  try {
    assert.ok(late.rtp() <= 2, `a late reader: ${late.rtp()} of 50 at once`);
  } finally {
    stream.detach(late.reader);
    stream.unpublish();
  }
});

Deno.test("stream: one live packet with a timestamp jump does not release a late reader's held cache", () => {
  const stream = new Stream("/cam", H264_SDP, 1 << 20);
  stream.publish({ close() {} }, H264_SDP);
  const start = Date.now() - 2000;
  for (let i = 0; i < 50; i++) {
    stream.forward(0, false, picture(i, i * 3600, i === 0), start + i * 40);
    // The publisher's report: a true mapping.
    if (i === 0) stream.forward(0, true, publisherReport(0), start);
  }
  const late = reader(false);
  stream.attach(late.reader, Date.now());
  try {
    const before = late.rtp();
    // The camera's clock steps 20 s forward.
    stream.forward(0, false, picture(50, 50 * 3600 + 20 * 90_000, false), Date.now());
    assert.ok(late.rtp() - before <= 2, `${late.rtp() - before} of 51 released by the jump`);
  } finally {
    stream.detach(late.reader);
    stream.unpublish();
  }
});

Deno.test("stream: a late reader 10 s behind with more than 8192 cached packets is still paced", () => {
  const stream = new Stream("/cam", H264_SDP, 4 << 20);
  stream.publish({ close() {} }, H264_SDP);
  // 10 s at 25 fps, 40 packets of 116 bytes a picture (1 Mbit/s): 10 000 packets, 1.2 MB.
  const start = Date.now() - 10_000;
  let seq = 0;
  for (let i = 0; i < 250; i++) {
    for (let k = 0; k < 40; k++) {
      const p = picture(seq++, i * 3600, i === 0 && k === 0, k === 39, 116);
      stream.forward(0, false, p, start + i * 40);
    }
  }
  const late = reader(false);
  stream.attach(late.reader, Date.now());
  try {
    assert.ok(late.rtp() < 100, `a late reader 10 s behind: ${late.rtp()} of 10000 at once`);
  } finally {
    stream.detach(late.reader);
    stream.unpublish();
  }
});

Deno.test("stream: a late reader dropped during its own start burst leaves no pacing timer", async () => {
  const stream = new Stream("/cam", H264_SDP, 1 << 20);
  stream.publish({ close() {} }, H264_SDP);
  const start = Date.now() - 2000;
  for (let i = 0; i < 50; i++) {
    stream.forward(0, false, picture(i, i * 3600, i === 0), start + i * 40);
  }
  // Its connection refuses the first packet (closed, or the keyframe is over its queue limit).
  let sends = 0;
  const r: StreamReader = {
    conn: {
      send: () => (sends++, false),
      close() {},
      queueLimit: 0,
      reason: "overflow",
      droppedFrames: 0,
    },
    channels: [[0, 1]],
    internal: false,
  };
  stream.attach(r, Date.now());
  stream.detach(r);
  stream.unpublish();
  const before = sends;
  let timers = 0;
  const setTimer = globalThis.setTimeout;
  globalThis.setTimeout =
    ((f: () => void, ms?: number) => (timers++, setTimer(f, ms))) as typeof setTimeout;
  try {
    await new Promise((done) => setTimer(done, 500));
  } finally {
    globalThis.setTimeout = setTimer;
  }
  assert.equal(timers, 0, `${timers} pacing timers set for a dropped reader`);
  assert.equal(sends, before, "nothing more queued to it");
  assert.equal(stream.stats(Date.now()).readers, 0);
});

Deno.test("stream: a late reader whose held lag outgrows its queue limit is not flooded: it goes on live at the next keyframe", async () => {
  const stream = new Stream("/cam", H264_SDP, 4 << 20);
  stream.publish({ close() {} }, H264_SDP);
  // A 10 s GOP at ~2.5 Mbit/s (11 packets of 1160 bytes a picture): 3.2 MB cached.
  const start = Date.now() - 10_000;
  let seq = 0;
  for (let i = 0; i < 250; i++) {
    for (let k = 0; k < 11; k++) {
      const p = picture(seq++, i * 3600, i === 0 && k === 0, k === 10, 1160);
      stream.forward(0, false, p, start + i * 40);
    }
  }
  // A fast reader: RtspConn's queue limit, its queue written out at the next turn of the loop.
  let queued = 0, closed = "", writing = false, keyframes = 0;
  const r: StreamReader = {
    conn: {
      send(f) {
        if (closed) return false;
        if (queued + f.length > 4 << 20) return (closed = "overflow", false);
        queued += f.length;
        if (f[1] === 0 && f[4 + 12] === 0x65) keyframes++;
        if (!writing) (writing = true, setTimeout(() => (queued = 0, writing = false), 0));
        return true;
      },
      close(reason) {
        closed = reason;
      },
      queueLimit: 4 << 20,
      get reason() {
        return (closed || "eof") as "eof";
      },
      droppedFrames: 0,
    },
    channels: [[0, 1]],
    internal: false,
  };
  stream.attach(r, Date.now());
  // Then the bitrate rises to ~14 Mbit/s (60 packets a picture: motion at night), for 7 s.
  let i = 250;
  const t0 = Date.now();
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const now = Date.now();
      for (let k = 0; k < 60; k++) {
        stream.forward(0, false, picture(seq++, i * 3600, false, k === 59, 1160), now);
      }
      i++;
      if (closed || now - t0 > 7000) (clearInterval(tick), done());
    }, 40);
  });
  try {
    assert.equal(closed, "", `dropped (${closed}) ${Date.now() - t0} ms after joining`);
    assert.equal(keyframes, 1, "its first keyframe");
    stream.forward(0, false, picture(seq++, i * 3600, true), Date.now());
    assert.equal(keyframes, 2, "the next keyframe goes to it at once: it is live");
  } finally {
    stream.detach(r);
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
