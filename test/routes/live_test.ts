/**
 * Live sessions end to end through the HTTP API, with real ffmpeg: a GStreamer RTSP camera, the
 * live manager's transcoders and outputs, and a media-server stand-in (ffmpeg writing HLS, and
 * decoding to report frame sizes) on the receiving end.
 */
import assert from "node:assert/strict";
import { openTestDatabase, type TestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type RtspServer, startRtspServer, waitFor } from "../support/rtsp.ts";
import { type MediaServer, startMediaServer } from "../support/media_server.ts";
import { parsePushAllow } from "../../models/net/push_target.ts";

interface Rig {
  db: TestDatabase;
  app: TestApp;
  camera: RtspServer;
  cameraId: string;
  close(): Promise<void>;
}

async function startRig(
  cameraOptions: { width?: number; height?: number; fps?: number } = {},
  live: { idleMs?: number; maxTranscodes?: number; lingerMs?: number } = {},
): Promise<Rig> {
  const camera = await startRtspServer({ fps: 15, ...cameraOptions });
  const db = await openTestDatabase("embedded");
  // The stand-in receives pushes on 127.0.0.1: allowed as an operator would list it.
  const app = await startTestApp(db, {
    live: { idleMs: 20_000, lingerMs: 1000, pushAllow: parsePushAllow("127.0.0.1"), ...live },
  });
  const response = await app.call("POST", "/api/cameras", {
    body: { name: "cam", rtspUrl: camera.url },
  });
  assert.equal(response.status, 201);
  const cameraId = (await response.json()).id;
  return {
    db,
    app,
    camera,
    cameraId,
    async close() {
      await app.close();
      await db.close();
      await camera.stop();
    },
  };
}

async function openSession(rig: Rig, body: Record<string, unknown>, token?: string) {
  const response = await rig.app.call("POST", "/api/live", {
    body: { camera: rig.cameraId, ...body },
    token,
  });
  const json = await response.json();
  assert.equal(response.status, 201, JSON.stringify(json));
  return json;
}

/**
 * The same signed URL with the signature's first character changed: always to a different one
 * (replacing it with a fixed character is a no-op 1 time in 64).
 */
function tamperSignature(url: string): string {
  return url.replace(/sig=(.)/, (_, first: string) => first === "A" ? "sig=B" : "sig=A");
}

/** Whether the stand-in's playlist lists a finished segment. */
function hasSegment(server: MediaServer): boolean {
  try {
    return Deno.readTextFileSync(`${server.dir}/index.m3u8`).includes(".ts");
  } catch {
    return false;
  }
}

async function withStandIn<T>(fn: (server: MediaServer) => Promise<T>): Promise<T> {
  const server = await startMediaServer({ listen: true });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "rtsp-push: the media server receives H.264 of the requested height, and a quality " +
    "switch reaches the same connection with the session id unchanged",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startRig({ width: 1280, height: 720 });
    try {
      await withStandIn(async (server) => {
        const session = await openSession(rig, {
          quality: "360p",
          output: "rtsp-push",
          target: server.url,
        });
        assert.equal(session.output, "rtsp-push");
        assert.deepEqual(
          [session.served.mode, session.served.width, session.served.height],
          ["encode", 640, 360],
        );
        await waitFor(() => server.sizes.length > 0, 10_000, "the first decoded frame");
        assert.deepEqual([server.sizes[0]!.width, server.sizes[0]!.height], [640, 360]);
        await waitFor(() => server.frames() > 30, 10_000, "frames at the stand-in");
        // Decoded frames come before the HLS segment holding them is complete.
        await waitFor(() => hasSegment(server), 20_000, "a segment at the stand-in");
        assert.deepEqual(await server.probeLatest(), { codec: "h264", width: 640, height: 360 });

        const asked = Date.now();
        const put = await rig.app.call("PUT", `/api/live/${session.id}`, {
          body: { quality: "source" },
        });
        const switched = await put.json();
        assert.equal(put.status, 200, JSON.stringify(switched));
        assert.equal(switched.id, session.id);
        assert.equal(switched.served.mode, "copy");
        await waitFor(
          () => server.sizes.some((s) => s.height === 720),
          20_000,
          "the source height at the stand-in",
        );
        const seen = server.sizes.find((s) => s.height === 720)!.at - asked;
        console.log(`new height seen ${seen} ms after the PUT`);
        // The goal is 3 s (no benchmark measures a switch); this bound proves it lands.
        assert.ok(seen < 15_000, `the new height took ${seen} ms`);
      });
    } finally {
      await rig.close();
    }
  },
});

/** The playlist of an hls session, fetched with the token. */
async function playlist(rig: Rig, id: string): Promise<string> {
  const response = await rig.app.call("GET", `/live/${id}/index.m3u8`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/vnd.apple.mpegurl");
  return await response.text();
}

/** Height of an HLS segment as ffprobe reads it. */
async function segmentHeight(rig: Rig, id: string, name: string): Promise<number> {
  const response = await rig.app.call("GET", `/live/${id}/${name}`);
  assert.equal(response.status, 200, name);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const probe = new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_entries", "stream=height", "-of", "csv=p=0", "pipe:0"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = probe.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const out = new TextDecoder().decode((await probe.output()).stdout);
  const height = Number(out.trim().split("\n")[0]);
  assert.ok(height > 0, `ffprobe read no height from ${name}: ${JSON.stringify(out)}`);
  return height;
}

Deno.test({
  name: "hls: the box serves ~1 s segments; a quality switch keeps the URL and marks a " +
    "discontinuity; signed URLs work without a token until they expire; files go at the end",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startRig({ width: 1280, height: 720 });
    try {
      const session = await openSession(rig, { quality: "360p", output: "hls" });
      assert.match(session.urls.hls, new RegExp(`/live/${session.id}/index\\.m3u8$`));
      const first = await playlist(rig, session.id);
      assert.match(first, /#EXT-X-TARGETDURATION:1\n/);
      const firstSegment = /^(r1-\d+\.ts)$/m.exec(first)![1]!;
      assert.equal(await segmentHeight(rig, session.id, firstSegment), 360);

      // A player without headers: the signed playlist lists signed segments.
      const signed = new URL(session.signedUrls.hls);
      const bare = await rig.app.app.request(`${signed.pathname}${signed.search}`);
      assert.equal(bare.status, 200);
      const signedList = await bare.text();
      assert.match(signedList, /^r1-\d+\.ts\?tok=[a-z0-9]+&exp=\d+&sig=[A-Za-z0-9_-]{43}$/m);
      const segmentUrl = signedList.split("\n").find((l: string) => l.startsWith("r1-"))!;
      assert.equal((await rig.app.app.request(`/live/${session.id}/${segmentUrl}`)).status, 200);
      assert.equal((await rig.app.app.request(`/live/${session.id}/index.m3u8`)).status, 401);
      const tampered = tamperSignature(signed.search);
      assert.equal((await rig.app.app.request(`${signed.pathname}${tampered}`)).status, 401);
      const expired = signed.search.replace(/exp=\d+/, "exp=1000");
      assert.equal((await rig.app.app.request(`${signed.pathname}${expired}`)).status, 401);

      const put = await rig.app.call("PUT", `/api/live/${session.id}`, {
        body: { quality: "720p" },
      });
      assert.equal(put.status, 200);
      assert.equal((await put.json()).urls.hls, session.urls.hls);
      let text = "";
      for (let i = 0; i < 300 && !/#EXT-X-DISCONTINUITY\n#EXTINF:[\d.]+,\nr2-/.test(text); i++) {
        text = await playlist(rig, session.id);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(text, /#EXT-X-DISCONTINUITY\n#EXTINF:[\d.]+,\nr2-\d+\.ts/);
      const after = /^(r2-\d+\.ts)$/m.exec(text)![1]!;
      assert.equal(await segmentHeight(rig, session.id, after), 720);

      const dir = `${rig.db.dataDir}/live/${session.id}`;
      assert.ok((await Deno.stat(dir)).isDirectory);
      assert.equal((await rig.app.call("DELETE", `/api/live/${session.id}`)).status, 204);
      await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
      assert.equal((await rig.app.call("GET", `/live/${session.id}/index.m3u8`)).status, 404);
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "two sessions with the same parameters share one transcoder, which stops after the " +
    "linger once both end; no ffmpeg and no HLS file remain",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startRig({}, { lingerMs: 1500 });
    try {
      const a = await openSession(rig, { quality: "360p", output: "hls" });
      const b = await openSession(rig, { quality: "360p", output: "hls" });
      assert.notEqual(a.id, b.id);
      assert.deepEqual(rig.app.live.counts(), { sessions: 2, transcoders: 1, encoding: 1 });
      assert.equal((await (await rig.app.call("GET", `/api/live/${b.id}`)).json()).sharedBy, 2);
      const list = await (await rig.app.call("GET", "/api/live")).json();
      assert.deepEqual(list.items.map((s: { id: string }) => s.id).sort(), [a.id, b.id].sort());

      for (const id of [a.id, b.id]) {
        assert.equal((await rig.app.call("DELETE", `/api/live/${id}`)).status, 204);
      }
      const ended = Date.now();
      await waitFor(
        () => rig.app.live.counts().transcoders === 0,
        20_000,
        "the transcoder to stop",
      );
      console.log(`transcoder stopped ${Date.now() - ended} ms after the last session`);
      // The 1.5 s linger plus a bound that proves the stop happens, not how punctually.
      assert.ok(Date.now() - ended < 1500 + 10_000);
      await rig.app.live.processes.settled();
      assert.deepEqual(rig.app.live.processes.pids, []);
      assert.deepEqual([...Deno.readDirSync(`${rig.db.dataDir}/live`)], []);
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "a session nobody reads ends after the idle timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startRig({}, { idleMs: 2000, lingerMs: 500 });
    try {
      const session = await openSession(rig, { quality: "360p", output: "hls" });
      const opened = Date.now();
      await waitFor(() => rig.app.live.counts().sessions === 0, 20_000, "the idle session to end");
      const after = Date.now() - opened;
      assert.ok(after >= 1500, `ended after ${after} ms`);
      assert.equal((await rig.app.call("GET", `/api/live/${session.id}`)).status, 404);
      await waitFor(
        () => rig.app.live.counts().transcoders === 0,
        15_000,
        "the transcoder to stop",
      );
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "rtsp: a media server pulling the session from the relay gets the requested height for " +
    "source, 720p and 360p; a switch reaches the same pull; a bad signature is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startRig({ width: 1920, height: 1080, fps: 10 });
    try {
      for (const [quality, height] of [["source", 1080], ["720p", 720], ["360p", 360]] as const) {
        const session = await openSession(rig, { quality });
        assert.equal(session.output, "rtsp");
        assert.match(
          session.urls.rtsp,
          new RegExp(`^rtsp://127\\.0\\.0\\.1:\\d+/live/${session.id}$`),
        );
        const server = await startMediaServer({ pull: session.signedUrls.rtsp }, { decode: false });
        try {
          await waitFor(
            () => hasSegment(server),
            20_000,
            `a segment of ${quality} at the stand-in`,
          );
          const probed = await server.probeLatest();
          assert.deepEqual(probed, { codec: "h264", width: height * 16 / 9, height }, quality);
          const info = await (await rig.app.call("GET", `/api/live/${session.id}`)).json();
          assert.equal(info.state, "live");
        } finally {
          await server.stop();
        }
        assert.equal((await rig.app.call("DELETE", `/api/live/${session.id}`)).status, 204);
      }

      const session = await openSession(rig, { quality: "360p" });
      const forged = new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-rtsp_transport",
          "tcp",
          tamperSignature(session.signedUrls.rtsp),
        ],
        stdout: "null",
        stderr: "piped",
      });
      const refused = await forged.output();
      assert.ok(!refused.success);
      assert.match(new TextDecoder().decode(refused.stderr), /401|Unauthorized/);

      const token = new URL(session.urls.rtsp);
      token.username = "media";
      token.password = rig.app.tokens.media;
      const server = await startMediaServer({ pull: token.href });
      try {
        await waitFor(() => server.sizes.length > 0, 20_000, "the first frame pulled with a token");
        assert.equal(server.sizes[0]!.height, 360);
        const asked = Date.now();
        const put = await rig.app.call("PUT", `/api/live/${session.id}`, {
          body: { quality: "720p" },
        });
        assert.equal(put.status, 200);
        assert.equal((await put.json()).id, session.id);
        await waitFor(
          () => server.sizes.some((s) => s.height === 720),
          20_000,
          "720p at the stand-in",
        );
        const seen = server.sizes.find((s) => s.height === 720)!.at - asked;
        console.log(`rtsp: new height seen ${seen} ms after the PUT`);
        // The goal is 3 s (no benchmark measures a switch); this bound proves it lands.
        assert.ok(seen < 15_000, `the new height took ${seen} ms`);
      } finally {
        await server.stop();
      }
    } finally {
      await rig.close();
    }
  },
});
