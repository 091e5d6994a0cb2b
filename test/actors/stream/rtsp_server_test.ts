/**
 * The RTSP server with real ffmpeg publishers and readers (ffmpeg, ffprobe) and a bare client for
 * what ffmpeg will not do (garbage, half-open connections, a reader that stops reading).
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type {
  RtspAuthRequest,
  RtspServer,
  RtspServerOptions,
} from "../../../actors/stream/rtsp_server_types.ts";
import { verifyDigest } from "../../../models/rtsp/auth.ts";
import { keyframeStart, rtpPayload } from "../../../models/rtsp/rtp.ts";
import { basicAuth, RawRtsp } from "../../support/rtsp_client.ts";
import {
  countFrames,
  makeClip,
  probeStream,
  type Proc,
  startPublisher,
} from "../../support/relay.ts";
import { waitFor } from "../../support/rtsp.ts";

const dir = await Deno.makeTempDir({ prefix: "vigil-rtsp-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
let clips: Promise<{ av: string; longGop: string; heavy: string }> | undefined;
/**
 * Clips made once for the file: 640x360@25 with audio, one whose only keyframe starts each 10 s
 * loop, one at 8 Mbit/s.
 */
const clip = () =>
  clips ??= (async () => ({
    av: await makeClip(dir, { audio: true }),
    longGop: await makeClip(dir, { gop: 250, kbps: 1000 }),
    heavy: await makeClip(dir, { width: 1280, height: 720, kbps: 8000 }),
  }))();

const INTERNAL = "internal-secret";
/** Readers need password "pw" (Basic); publishing needs the internal secret. */
const authorize = (r: RtspAuthRequest) => {
  const c = r.credentials;
  const password = c?.scheme === "basic" ? c.password : null;
  if (password === INTERNAL) return { allowed: true as const, internal: true };
  if (r.action === "read" && password === "pw") return { allowed: true as const };
  return { allowed: false as const };
};

async function withServer(
  options: RtspServerOptions,
  fn: (server: RtspServer, publish: (path: string, file: string) => Proc) => Promise<void>,
): Promise<void> {
  const server = await startRtspServer({ port: 0, ...options });
  const procs: Proc[] = [];
  const publish = (path: string, file: string) => {
    const url = server.url(path).replace("rtsp://", `rtsp://vigil:${INTERNAL}@`);
    const proc = startPublisher(url, file);
    procs.push(proc);
    return proc;
  };
  try {
    await fn(server, publish);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await server.close();
  }
}

const published = (server: RtspServer, path: string) =>
  waitFor(() => server.stats(path)?.publishing === true, 15_000, `${path} published`);
const withReader = (url: string, password = "pw") =>
  url.replace("rtsp://", `rtsp://viewer:${password}@`);

Deno.test({
  name: "a reader gets the publisher's codec, size, rate and audio, and at least 95% of the frames",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({ authorize }, async (server, publish) => {
      publish("/cam/a", av);
      await published(server, "/cam/a");
      const url = withReader(server.url("/cam/a"));
      assert.deepEqual(await probeStream(url), { codec: "h264", width: 640, height: 360, fps: 25 });
      const audio = await new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-rtsp_transport",
          "tcp",
          "-select_streams",
          "a:0",
          "-show_entries",
          "stream=codec_name",
          "-of",
          "csv=p=0",
          url,
        ],
      }).output();
      assert.equal(new TextDecoder().decode(audio.stdout).trim(), "aac", "audio passes through");
      const read = await countFrames(url, 6);
      assert.ok(read.success, read.stderr);
      assert.ok(read.frames >= 0.95 * 6 * 25, `frames: ${read.frames} of ${6 * 25}`);
      const stats = server.stats("/cam/a")!;
      assert.ok(stats.packetsIn > 0 && stats.packetsOut > 0 && stats.bitrateKbps > 0);
    });
  },
});

Deno.test({
  name: "a late reader starts at the last keyframe instead of waiting for the next",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { longGop } = await clip();
    await withServer({ authorize }, async (server, publish) => {
      publish("/cam/gop", longGop);
      await published(server, "/cam/gop");
      // Join 2.5 s into the 10 s GOP.
      await new Promise((r) => setTimeout(r, 2500));
      const client = await RawRtsp.connect(server.port);
      try {
        const start = performance.now();
        assert.equal(await client.play(server.url("/cam/gop"), [basicAuth("v", "pw")]), 200);
        client.startReading();
        await waitFor(() => client.frames > 0, 15_000, "first frame");
        const first = client.firstVideoPacket!;
        assert.ok(keyframeStart("H264", rtpPayload(first)), "the first packet starts a keyframe");
        // The next keyframe is 7.5 s away (one per 10 s loop, joined 2.5 s in): a reader made to
        // wait for it could not start within this bound, which leaves a loaded box seconds of
        // room (the cached keyframe came ~0.1 s after PLAY when measured at load 15).
        const waited = client.firstFrameAt! - start;
        assert.ok(waited < 4000, `first frame ${waited.toFixed(0)} ms after PLAY`);
      } finally {
        await client.close();
      }
    });
  },
});

Deno.test({
  name: "readers keep playing, with continuous numbers, when the publisher is replaced",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({ authorize }, async (server, publish) => {
      const first = publish("/cam/swap", av);
      await published(server, "/cam/swap");
      const raw = await RawRtsp.connect(server.port);
      const url = withReader(server.url("/cam/swap"));
      const reading = countFrames(url, 9);
      try {
        assert.equal(await raw.play(server.url("/cam/swap"), [basicAuth("v", "pw")]), 200);
        raw.startReading();
        await new Promise((r) => setTimeout(r, 2500));
        await first.stop();
        await new Promise((r) => setTimeout(r, 1000));
        publish("/cam/swap", av);
        const before = raw.frames;
        await waitFor(() => raw.frames > before + 50, 10_000, "frames from the new publisher");
        assert.ok(!raw.closed, "the reader was not disconnected");
        const v = raw.video;
        for (let i = 1; i < v.length; i++) {
          assert.equal(v[i]!.seq, (v[i - 1]!.seq + 1) & 0xffff, `sequence continues at ${i}`);
          assert.equal(v[i]!.ssrc, v[0]!.ssrc, "one SSRC");
          const dt = (v[i]!.ts - v[i - 1]!.ts) >>> 0;
          assert.ok(dt < 90000 * 10, `timestamps move forward (${dt} at ${i})`);
        }
        const read = await reading;
        assert.ok(read.success, `an ffmpeg reader read on: ${read.stderr}`);
        // 9 s read across a ~1 s swap; the margin covers a slow publisher restart.
        assert.ok(read.frames >= 0.9 * 5 * 25, `ffmpeg frames: ${read.frames}`);
        assert.equal(server.stats("/cam/swap")!.publishers, 2);
      } finally {
        await raw.close();
        await reading;
      }
    });
  },
});

Deno.test({
  name:
    "readers authenticate: none or a wrong password is 401, an unknown path 404, publishing needs the internal secret",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({ authorize }, async (server, publish) => {
      publish("/cam/auth", av);
      await published(server, "/cam/auth");
      const url = server.url("/cam/auth");
      const ask = async (uri: string, headers: [string, string][] = []) => {
        const c = await RawRtsp.connect(server.port);
        try {
          return await c.request("DESCRIBE", uri, headers);
        } finally {
          await c.close();
        }
      };
      const none = await ask(url);
      assert.equal(none?.status, 401);
      const challenges = none!.headers.filter(([name]) =>
        name.toLowerCase() === "www-authenticate"
      );
      assert.deepEqual(challenges.map(([, value]) => value), ['Basic realm="Vigil"']);
      assert.equal((await ask(url, [basicAuth("v", "wrong")]))?.status, 401);
      assert.equal((await ask(url, [basicAuth("v", "pw")]))?.status, 200);
      assert.equal((await ask(server.url("/cam/nope"), [basicAuth("v", "pw")]))?.status, 404);

      const announce = await RawRtsp.connect(server.port);
      try {
        await announce.write(
          `ANNOUNCE ${server.url("/cam/evil")} RTSP/1.0\r\nCSeq: 1\r\n` +
            `Authorization: Basic ${btoa("v:pw")}\r\nContent-Type: application/sdp\r\n` +
            "Content-Length: 0\r\n\r\n",
        );
        assert.equal((await announce.response())?.status, 401, "a reader cannot publish");
      } finally {
        await announce.close();
      }
      const ffprobeNoAuth = await probeStream(url);
      assert.match(String(ffprobeNoAuth), /401/);
      assert.equal(typeof await probeStream(withReader(url)), "object");
    });
  },
});

Deno.test({
  name: "Digest authentication works with ffmpeg for a password the server knows",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    const seen: string[] = [];
    await withServer({
      authMethods: ["digest", "basic"],
      authorize: (r) => {
        const c = r.credentials;
        seen.push(c?.scheme ?? "none");
        // ffmpeg prefers Digest when offered: the publisher answers with it too.
        if (c?.scheme === "digest" && verifyDigest(c, INTERNAL, r.method)) {
          return { allowed: true, internal: true };
        }
        if (c?.scheme === "digest" && verifyDigest(c, "digest-pw", r.method)) {
          return { allowed: true };
        }
        return { allowed: false };
      },
    }, async (server, publish) => {
      publish("/cam/digest", av);
      await waitFor(() => server.stats("/cam/digest")?.publishing === true, 15_000, "published");
      const url = server.url("/cam/digest");
      assert.deepEqual(
        await probeStream(url.replace("rtsp://", "rtsp://bob:digest-pw@")),
        { codec: "h264", width: 640, height: 360, fps: 25 },
      );
      assert.ok(seen.includes("digest"), "ffmpeg answered the Digest challenge");
      assert.match(String(await probeStream(url.replace("rtsp://", "rtsp://bob:nope@"))), /401/);
    });
  },
});

Deno.test({
  name: "garbage, a 1 MiB request line and a burst of half-open connections leave readers playing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({
      authorize,
      limits: { handshakeTimeoutMs: 1500, maxConnections: 80 },
    }, async (server, publish) => {
      publish("/cam/robust", av);
      await published(server, "/cam/robust");
      const reader = await RawRtsp.connect(server.port);
      assert.equal(await reader.play(server.url("/cam/robust"), [basicAuth("v", "pw")]), 200);
      reader.startReading();
      const half: RawRtsp[] = [];
      try {
        const garbage = await RawRtsp.connect(server.port);
        // Fixed pseudo-random bytes, without '$' (an interleaved frame's start).
        const noise = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
        await garbage.write(noise.map((b) => b === 36 ? 0 : b));
        await garbage.write("\r\n\r\n");
        assert.equal((await garbage.response())?.status, 400);
        assert.ok(await garbage.waitClosed(10_000), "closed after 400");
        await garbage.close();

        const long = await RawRtsp.connect(server.port);
        const line = "DESCRIBE rtsp://127.0.0.1/" + "a".repeat(1 << 20);
        await long.write(line).catch(() => {}); // the server may close before it has all of it
        assert.equal((await long.response())?.status, 400);
        assert.ok(await long.waitClosed(10_000));
        await long.close();

        const http = await RawRtsp.connect(server.port);
        await http.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.equal((await http.response())?.status, 400);
        await http.close();

        // 100 connections: some silent, some with half a request; more than the limit allows.
        const framesBefore = reader.frames;
        for (let i = 0; i < 100; i++) {
          const c = await RawRtsp.connect(server.port);
          if (i % 2) {
            await c.write("DESCRIBE rtsp://127.0.0.1/cam/robust RTSP/1.0\r\nCSe").catch(() => {});
          }
          half.push(c);
        }
        // Within the 1.5 s handshake deadline, while all 100 are still open: ~25 frames at 25
        // fps; a few prove the reader is not starved on a loaded box.
        await new Promise((r) => setTimeout(r, 1000));
        assert.ok(
          reader.frames > framesBefore + 5,
          `reader got ${reader.frames - framesBefore} frames`,
        );
        const closed = await Promise.all(half.map((c) => c.waitClosed(15_000)));
        assert.equal(closed.filter(Boolean).length, 100, "half-open connections are closed");
        assert.ok(!reader.closed, "the reader is still connected");
        const after = reader.frames;
        await waitFor(() => reader.frames > after + 25, 15_000, "frames after the burst");
      } finally {
        await Promise.all(half.map((c) => c.close()));
        await reader.close();
      }
    });
  },
});

Deno.test({
  name: "readers beyond the per-path or total limit get 453; internal readers are not counted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer(
      { authorize, limits: { maxReadersPerPath: 2, maxReaders: 3 } },
      async (server, publish) => {
        publish("/cam/l1", av);
        publish("/cam/l2", av);
        await published(server, "/cam/l1");
        await published(server, "/cam/l2");
        const clients: RawRtsp[] = [];
        const play = async (path: string, password = "pw") => {
          const c = await RawRtsp.connect(server.port);
          clients.push(c);
          return await c.play(server.url(path), [basicAuth("v", password)]);
        };
        try {
          assert.equal(await play("/cam/l1"), 200);
          assert.equal(await play("/cam/l1"), 200);
          assert.equal(await play("/cam/l1"), 453, "third reader of a path");
          assert.equal(await play("/cam/l1", INTERNAL), 200, "an internal consumer still gets in");
          assert.equal(await play("/cam/l2"), 200);
          assert.equal(await play("/cam/l2"), 453, "fourth reader in total");
          const readers = server.stats("/cam/l1")!.readers;
          await clients[0]!.close();
          await waitFor(
            () => server.stats("/cam/l1")!.readers < readers,
            10_000,
            "the server to see the reader leave",
          );
          assert.equal(await play("/cam/l2"), 200, "a slot freed by a reader leaving");
        } finally {
          await Promise.all(clients.map((c) => c.close()));
        }
      },
    );
  },
});

Deno.test({
  name:
    "a reader that stops reading is dropped, the others keep their frames, memory stays bounded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { heavy } = await clip();
    await withServer(
      { authorize, limits: { readerQueueBytes: 512 * 1024 } },
      async (server, publish) => {
        publish("/cam/stall", heavy);
        await published(server, "/cam/stall");
        const good = await RawRtsp.connect(server.port);
        const stalled: RawRtsp[] = [];
        try {
          assert.equal(await good.play(server.url("/cam/stall"), [basicAuth("v", "pw")]), 200);
          good.startReading();
          const rssBefore = Deno.memoryUsage().rss;
          for (let i = 0; i < 8; i++) {
            const c = await RawRtsp.connect(server.port);
            assert.equal(await c.play(server.url("/cam/stall"), [basicAuth("v", "pw")]), 200);
            stalled.push(c); // never read again
          }
          let peak = rssBefore;
          await waitFor(
            () => {
              peak = Math.max(peak, Deno.memoryUsage().rss);
              return server.stats("/cam/stall")!.readersDropped === 8;
            },
            60_000,
            "stalled readers dropped",
          );
          const grew = (peak - rssBefore) / 2 ** 20;
          console.log(`RSS grew by at most ${grew.toFixed(1)} MiB with 8 stalled readers`);
          // 8 readers × (512 KiB queue + the keyframe burst) plus GC slack.
          assert.ok(grew < 96, `RSS grew ${grew.toFixed(1)} MiB`);
          assert.equal(server.stats("/cam/stall")!.readers, 1);
          assert.ok(server.stats("/cam/stall")!.packetsDropped > 0);
          const before = good.frames;
          await waitFor(() => good.frames > before + 25, 15_000, "the reading reader keeps going");
          assert.ok(!good.closed);
        } finally {
          await Promise.all(stalled.map((c) => c.close()));
          await good.close();
        }
      },
    );
  },
});

Deno.test({
  name: "a demanded path starts its source, waits for it, and is released when the reader leaves",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    let leases = 0;
    let released = 0;
    let start: ((path: string) => void) | undefined;
    await withServer({
      authorize,
      demand: (path) => {
        if (path !== "/cam/alias") return undefined;
        leases++;
        start?.("/cam/real");
        return { path: "/cam/real", release: () => released++ };
      },
    }, async (server, publish) => {
      start = (path) => publish(path, av);
      const url = withReader(server.url("/cam/alias"));
      assert.deepEqual(await probeStream(url), { codec: "h264", width: 640, height: 360, fps: 25 });
      assert.equal(leases, 1);
      await waitFor(() => released === 1, 15_000, "lease released");
      start = undefined;
      const c = await RawRtsp.connect(server.port);
      try {
        assert.equal(
          (await c.request("DESCRIBE", server.url("/cam/other"), [basicAuth("v", "pw")]))?.status,
          404,
        );
      } finally {
        await c.close();
      }
    });
  },
});

Deno.test({
  name: "readers of a path whose publisher is gone are closed after the grace period",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({ authorize, limits: { publisherGraceMs: 1000 } }, async (server, publish) => {
      const pub = publish("/cam/gone", av);
      await published(server, "/cam/gone");
      const c = await RawRtsp.connect(server.port);
      try {
        assert.equal(await c.play(server.url("/cam/gone"), [basicAuth("v", "pw")]), 200);
        c.startReading();
        await pub.stop();
        const left = performance.now();
        await waitFor(() => server.stats("/cam/gone")?.publishing !== true, 10_000, "unpublished");
        assert.ok(await c.waitClosed(15_000), "closed after the grace period");
        // A lower bound, which load cannot break: the reader was kept for the 1 s grace.
        const ms = performance.now() - left;
        assert.ok(ms >= 900, `closed ${ms.toFixed(0)} ms after the publisher left`);
        assert.equal(server.stats("/cam/gone"), null);
      } finally {
        await c.close();
      }
    });
  },
});

Deno.test("a port in use is refused with a message naming VIGIL_RTSP_PORT", async () => {
  const first = await startRtspServer({ port: 0 });
  try {
    await assert.rejects(() => startRtspServer({ port: first.port }), /VIGIL_RTSP_PORT/);
  } finally {
    await first.close();
  }
});

Deno.test({
  name:
    "unauthenticated connections sending OPTIONS cannot hold every slot: they keep the handshake deadline and the oldest is evicted for an internal reader",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withServer({
      authorize,
      limits: { maxConnections: 3, handshakeTimeoutMs: 1500, sessionTimeoutMs: 60_000 },
    }, async (server) => {
      const idle: RawRtsp[] = [];
      let keepAlive = true;
      try {
        for (let i = 0; i < 3; i++) {
          const c = await RawRtsp.connect(server.port);
          assert.equal((await c.request("OPTIONS", server.url("/cam/x")))?.status, 200);
          idle.push(c);
        }
        // The internal DESCRIBE gets an answer (404: nothing publishes it), not EOF.
        const internal = await RawRtsp.connect(server.port);
        const res = await internal.request("DESCRIBE", server.url("/cam/x"), [
          basicAuth("vigil", INTERNAL),
        ]);
        assert.equal(res?.status, 404);
        await internal.close();
        assert.ok(await idle[0]!.waitClosed(3000), "the oldest unauthenticated one was evicted");
        // The others keep sending OPTIONS, yet are closed by the handshake deadline.
        const pinging = (async () => {
          while (keepAlive) {
            await new Promise((r) => setTimeout(r, 300));
            for (const c of idle.slice(1)) {
              await c.write(`OPTIONS ${server.url("/cam/x")} RTSP/1.0\r\nCSeq: 9\r\n\r\n`)
                .catch(() => {});
            }
          }
        })();
        const closed = await Promise.all(idle.slice(1).map((c) => c.waitClosed(15_000)));
        keepAlive = false;
        await pinging;
        assert.deepEqual(closed, [true, true], "OPTIONS does not extend the handshake deadline");
      } finally {
        keepAlive = false;
        await Promise.all(idle.map((c) => c.close()));
      }
    });
  },
});

Deno.test({
  name:
    "revocation cuts off relay sessions: a connection whose grant lapses is closed at the next re-check",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let valid = true;
    await withServer({
      authorize: () => ({ allowed: true, stillValid: () => Promise.resolve(valid) }),
      limits: { revalidateMs: 200 },
    }, async (server) => {
      const c = await RawRtsp.connect(server.port);
      try {
        assert.equal((await c.request("DESCRIBE", server.url("/cam/r")))?.status, 404);
        assert.equal(await c.waitClosed(600), false, "open while the grant holds");
        valid = false;
        assert.ok(await c.waitClosed(10_000), "closed once it lapses");
      } finally {
        await c.close();
      }
    });
  },
});

Deno.test({
  name: "a connection is authorised for at most maxPathsPerConnection paths (453 beyond)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withServer({ limits: { maxPathsPerConnection: 2 } }, async (server) => {
      const c = await RawRtsp.connect(server.port);
      try {
        const statuses = [];
        for (const p of ["/cam/a", "/cam/b", "/cam/c"]) {
          statuses.push((await c.request("DESCRIBE", server.url(p)))?.status);
        }
        assert.deepEqual(statuses, [404, 404, 453]);
      } finally {
        await c.close();
      }
    });
  },
});

Deno.test({
  name:
    "a leaked publish credential cannot take over a path the hub pulls: only its owner publishes, and not a second time while it is live",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { av } = await clip();
    await withServer({
      authorize,
      publishOwner: (path) => path === "/cam/owned" ? "vigil.0wner" : undefined,
    }, async (server) => {
      const as = (user: string) =>
        server.url("/cam/owned").replace("rtsp://", `rtsp://${user}:${INTERNAL}@`);
      const procs: Proc[] = [];
      try {
        const intruder = startPublisher(as("vigil"), av);
        procs.push(intruder);
        assert.notEqual((await intruder.status).code, 0, "another user is refused");
        assert.equal(server.stats("/cam/owned"), null);
        const owner = startPublisher(as("vigil.0wner"), av);
        procs.push(owner);
        await published(server, "/cam/owned");
        const second = startPublisher(as("vigil.0wner"), av);
        procs.push(second);
        assert.notEqual((await second.status).code, 0, "a second publisher is refused");
        const frames = server.stats("/cam/owned")?.packetsIn ?? 0;
        await new Promise((r) => setTimeout(r, 500));
        assert.ok(server.stats("/cam/owned")?.publishing, "the owner still publishes");
        assert.ok((server.stats("/cam/owned")?.packetsIn ?? 0) > frames, "and its packets flow");
      } finally {
        await Promise.all(procs.map((p) => p.stop()));
      }
    });
  },
});
