/**
 * The stream hub against the GStreamer camera simulator (which counts its client sessions), the
 * relay and real ffmpeg readers.
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type { RtspServer } from "../../../actors/stream/rtsp_server_types.ts";
import { Hub } from "../../../actors/stream/hub.ts";
import {
  type RtspServer as Camera,
  startRtspServer as startCamera,
  waitFor,
} from "../../support/rtsp.ts";
import { countFrames, probeStream, startReader } from "../../support/relay.ts";
import { RawRtsp } from "../../support/rtsp_client.ts";

const credentials = { username: "vigil", password: "internal-test-secret" };

async function withHub(
  options: { idleTimeoutMs?: number; cameraFps?: number },
  fn: (ctx: { hub: Hub; server: RtspServer; camera: Camera }) => Promise<void>,
): Promise<void> {
  const camera = await startCamera({ fps: options.cameraFps ?? 25 });
  const ref: { hub?: Hub } = {};
  const server = await startRtspServer({
    port: 0,
    demand: (path) => ref.hub?.demand(path),
    authorize: (r) => {
      const c = r.credentials;
      const internal = c?.scheme === "basic" && c.password === credentials.password;
      return internal || r.action === "read" ? { allowed: true, internal } : { allowed: false };
    },
  });
  const hub = ref.hub = new Hub({
    server,
    credentials,
    idleTimeoutMs: options.idleTimeoutMs ?? 1000,
  });
  try {
    await fn({ hub, server, camera });
  } finally {
    await hub.stop();
    await server.close();
    await camera.stop();
  }
}

const publishing = (hub: Hub, id: string) =>
  waitFor(() => hub.status(id)[0]?.puller === "publishing", 20_000, `${id} publishing`);

Deno.test({
  name:
    "readers of the relay get the camera's codec, size and rate, 95% of the frames, over ONE camera session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub({}, async ({ hub, camera }) => {
      hub.setCamera("c1", { default: camera.url });
      const lease = await hub.acquire("c1", {}, "test");
      await publishing(hub, "c1");
      assert.deepEqual(await probeStream(lease.readUrl), {
        codec: "h264",
        width: 640,
        height: 360,
        fps: 25,
      });
      const readers = [startReader(hub.readUrl("c1")), startReader(hub.readUrl("c1"))];
      try {
        const read = await countFrames(hub.readUrl("c1"), 10);
        assert.ok(read.success, read.stderr);
        assert.ok(read.frames >= 0.95 * 10 * 25, `frames: ${read.frames} of 250`);
        assert.equal(camera.clientsConnected, 1, "the camera saw one session");
        const [status] = hub.status("c1");
        assert.equal(status!.readers, 2, "two readers still attached");
        assert.ok(status!.bitrateKbps > 0 && status!.packetsOut > status!.packetsIn);
        assert.deepEqual(status!.streams, ["default", "main", "sub"]);
      } finally {
        await Promise.all(readers.map((r) => r.stop()));
        lease.release();
      }
    });
  },
});

Deno.test({
  name: "the puller reconnects soon after the camera answers again, and readers read on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub({}, async ({ hub, server, camera }) => {
      hub.setCamera("c1", { default: camera.url });
      const lease = await hub.acquire("c1", {}, "test");
      await publishing(hub, "c1");
      const reader = await RawRtsp.connect(server.port);
      try {
        assert.equal(await reader.play(lease.readUrl, [basic()]), 200);
        reader.startReading();
        await waitFor(() => reader.frames > 25, 10_000, "frames");
        await camera.stop();
        await waitFor(() => hub.status("c1")[0]!.puller === "backoff", 15_000, "puller in backoff");
        await new Promise((r) => setTimeout(r, 1500));
        await camera.start();
        const answering = Date.now();
        await waitFor(
          () => (server.stats("/cam/c1")?.lastPacketAt ?? 0) > answering,
          15_000,
          "packets after the restart",
        );
        const ms = Date.now() - answering;
        console.log(`puller back ${ms} ms after the camera answered`);
        // The goal is 2 s, measured by `deno run -A scripts/bench_relay.ts --parts reconnect`;
        // here the bound only proves the puller comes back by itself on a loaded box.
        assert.ok(ms < 10_000, `back after ${ms} ms`);
        const frames = reader.frames;
        await waitFor(() => reader.frames > frames + 25, 10_000, "reader frames after the restart");
        assert.ok(!reader.closed, "the reader did not have to reconnect");
        assert.ok(hub.status("c1")[0]!.reconnects >= 1);
      } finally {
        await reader.close();
        lease.release();
      }
    });
  },
});

Deno.test({
  name:
    "after the last consumer leaves, the puller's camera session is gone within the idle timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub({ idleTimeoutMs: 1500 }, async ({ hub, camera }) => {
      hub.setCamera("c1", { default: camera.url });
      const first = await hub.acquire("c1", {}, "a");
      await publishing(hub, "c1");
      assert.equal(camera.clientsOpen, 1);
      first.release();
      first.release(); // idempotent
      await new Promise((r) => setTimeout(r, 500));
      const second = await hub.acquire("c1", {}, "b");
      assert.equal(camera.clientsConnected, 1, "a consumer within the idle timeout keeps it");
      assert.deepEqual(hub.status("c1")[0]!.consumers, ["b"]);
      second.release();
      const released = performance.now();
      await waitFor(() => camera.clientsOpen === 0, 15_000, "the camera's session closed");
      const ms = performance.now() - released;
      // Not before the 1.5 s idle timeout; after it, only as soon as a loaded box allows.
      assert.ok(ms >= 1400 && ms < 11_500, `stopped ${ms} ms after the last release`);
      assert.equal(hub.status("c1")[0]!.puller, "idle");
      assert.equal(camera.clientsConnected, 1);
    });
  },
});

Deno.test({
  name: "an external reader starts the puller on demand; an unknown camera is 404",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub({}, async ({ hub, server, camera }) => {
      hub.setCamera("c1", { default: camera.url });
      assert.equal(hub.status("c1")[0]!.puller, "idle");
      const probed = await probeStream(server.url("/cam/c1/main"));
      assert.equal(typeof probed, "object", String(probed));
      assert.equal(camera.clientsConnected, 1);
      const raw = await RawRtsp.connect(server.port);
      try {
        assert.equal((await raw.request("DESCRIBE", server.url("/cam/zz")))?.status, 404);
        assert.equal((await raw.request("DESCRIBE", server.url("/cam/c1/nope")))?.status, 404);
      } finally {
        await raw.close();
      }
      await assert.rejects(() => hub.acquire("zz", {}, "x"), /not found/);
    });
  },
});

Deno.test({
  name: "streams that share a URL share a puller; a new source URL restarts it on the same path",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub({}, async ({ hub, camera }) => {
      const other = await startCamera({ fps: 25, width: 320, height: 180 });
      try {
        hub.setCamera("c1", { default: camera.url });
        const a = await hub.acquire("c1", { stream: "default" }, "capture");
        const b = await hub.acquire("c1", { stream: "main" }, "recorder");
        await publishing(hub, "c1");
        assert.equal(hub.status("c1").length, 1);
        assert.deepEqual(hub.status("c1")[0]!.consumers, ["capture", "recorder"]);
        assert.equal(camera.clientsConnected, 1);
        hub.setCamera("c1", { default: camera.url, sub: other.url });
        const c = await hub.acquire("c1", { stream: "sub" }, "live");
        await waitFor(() => hub.status("c1")[1]?.puller === "publishing", 20_000, "sub publishing");
        assert.deepEqual(hub.status("c1").map((s) => s.path), ["/cam/c1", "/cam/c1/sub"]);
        assert.deepEqual(await probeStream(c.readUrl), {
          codec: "h264",
          width: 320,
          height: 180,
          fps: 25,
        });
        hub.setCamera("c1", { default: other.url });
        await waitFor(
          () => {
            const s = hub.status("c1");
            // The sub stream's session ends; the default path opens the second one on `other`.
            return s.length === 1 && s[0]!.puller === "publishing" &&
              other.clientsConnected === 2;
          },
          20_000,
          "puller restarted with the new URL",
        );
        await waitFor(() => camera.clientsOpen === 0, 10_000, "the old camera session gone");
        assert.deepEqual(await probeStream(a.readUrl), {
          codec: "h264",
          width: 320,
          height: 180,
          fps: 25,
        });
        for (const l of [a, b, c]) l.release();
      } finally {
        await other.stop();
      }
    });
  },
});

function basic(): [string, string] {
  return ["Authorization", `Basic ${btoa(`${credentials.username}:${credentials.password}`)}`];
}
