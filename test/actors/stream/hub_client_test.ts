/**
 * The hub pulling cameras with Vigil's own RTSP client (docs/decisions/own-rtsp-client.md): a
 * Digest-protected GStreamer camera relayed without any ffmpeg, read by ffprobe and GStreamer; and
 * a camera that refuses RTP over TCP handed to ffmpeg over UDP.
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type { RtspServer } from "../../../actors/stream/rtsp_server_types.ts";
import { Hub } from "../../../actors/stream/hub.ts";
import { withCredentials } from "../../../models/media/rtsp_url.ts";
import {
  ffmpegChildren,
  type RtspServer as Camera,
  waitFor,
  withRtspServer,
} from "../../support/rtsp.ts";
import { countFrames, probeStream } from "../../support/relay.ts";
import { probeRecording, recordMp4 } from "../../support/gstreamer.ts";

const internal = { username: "vigil", password: "internal-test-secret" };
const cameraUser = { username: "admin", password: "d1gest-secret" };

async function withHub(
  camera: Camera,
  fn: (ctx: { hub: Hub; server: RtspServer }) => Promise<void>,
): Promise<void> {
  const ref: { hub?: Hub } = {};
  const server = await startRtspServer({ port: 0, demand: (path) => ref.hub?.demand(path) });
  const hub = ref.hub = new Hub({ server, credentials: internal, idleTimeoutMs: 1000 });
  try {
    await fn({ hub, server });
  } finally {
    await hub.stop();
    await server.close();
  }
  assert.equal(camera.clientsConnected > 0, true);
}

Deno.test("the hub relays a Digest-protected camera with its own RTSP client: no ffmpeg pulls, ffprobe and GStreamer read the relay", async () => {
  await withRtspServer({ auth: { scheme: "digest", ...cameraUser } }, async (camera) => {
    await withHub(camera, async ({ hub }) => {
      hub.setCamera("c1", { default: withCredentials(camera.url, cameraUser) });
      const lease = await hub.acquire("c1", {}, "test");
      try {
        await waitFor(() => hub.status("c1")[0]?.puller === "publishing", 20_000, "publishing");
        assert.deepEqual(ffmpegChildren(), [], "no puller ffmpeg");
        assert.equal(hub.status("c1")[0]!.pid, null);
        assert.deepEqual(await probeStream(lease.readUrl), {
          codec: "h264",
          width: 640,
          height: 360,
          fps: 25,
        });
        const read = await countFrames(lease.readUrl, 4);
        assert.ok(read.success, read.stderr);
        assert.ok(read.frames >= 0.9 * 4 * 25, `frames: ${read.frames} of 100`);
        const file = await Deno.makeTempFile({ suffix: ".mp4" });
        try {
          const run = await recordMp4(lease.readUrl, file, 4);
          const recording = await probeRecording(file);
          assert.equal(recording.width, 640, run.output.slice(-2000));
          assert.ok(recording.frames >= 50, `GStreamer recorded ${recording.frames} frames`);
        } finally {
          await Deno.remove(file);
        }
        assert.equal(camera.clientsConnected, 1, "one camera session for every reader");
      } finally {
        lease.release();
      }
    });
  });
});

Deno.test("the hub hands a camera that refuses RTP over TCP to ffmpeg over UDP", async () => {
  await withRtspServer({ udpOnly: true }, async (camera) => {
    await withHub(camera, async ({ hub }) => {
      hub.setCamera("c1", { default: camera.url });
      const lease = await hub.acquire("c1", {}, "test");
      try {
        await waitFor(() => hub.status("c1")[0]?.puller === "publishing", 30_000, "publishing");
        const [status] = hub.status("c1");
        assert.ok(status!.pid !== null, "an ffmpeg pulls it");
        assert.ok(ffmpegChildren().includes(status!.pid!));
        assert.equal(status!.lastError, null);
        const probed = await probeStream(lease.readUrl);
        assert.equal(typeof probed, "object", String(probed));
      } finally {
        lease.release();
      }
    });
  });
});
