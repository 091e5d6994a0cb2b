import assert from "node:assert/strict";
import {
  type Camera,
  type CameraInput,
  createCamera,
} from "../../../actors/camera/camera_machine.ts";
import { cameraSnapshot } from "../../../actors/camera/snapshot.ts";
import { isJpeg } from "../../../models/media/jpeg_stream.ts";
import {
  ffmpegChildren,
  processAlive,
  startSilentServer,
  waitFor,
  withRtspServer,
} from "../../support/rtsp.ts";
import { probeImage } from "../../support/media.ts";

const input = (sourceUrl: string, extra: Partial<CameraInput> = {}): CameraInput => ({
  id: "cam-1",
  sourceUrl,
  analysisWidth: 320,
  analysisHeight: 180,
  fps: 5,
  ...extra,
});

async function withCamera<T>(i: CameraInput, fn: (cam: Camera) => T | Promise<T>): Promise<T> {
  const cam = createCamera(i);
  try {
    return await fn(cam);
  } finally {
    await cam.stop();
  }
}

Deno.test("analytics and recording regions keep their settings without touching the stream", async () => {
  await withCamera(input("rtsp://127.0.0.1:1/x"), (cam) => {
    assert.deepEqual(
      { ...cam.summary(), lastFrameAt: undefined },
      {
        stream: "offline",
        analytics: "detached",
        recording: "idle",
        lastFrameAt: undefined,
        fps: null,
        reconnects: 0,
        lastError: null,
        info: null,
      },
    );
    cam.send({ type: "ANALYTICS.ATTACH", settings: { model: "centernet", minScore: 0.5 } });
    cam.send({ type: "RECORDING.START", settings: { mode: "continuous" } });
    assert.equal(cam.summary().analytics, "attached");
    assert.equal(cam.summary().recording, "recording");
    assert.deepEqual(cam.actor.getSnapshot().context.analytics, {
      model: "centernet",
      minScore: 0.5,
    });
    cam.send({ type: "ANALYTICS.ATTACH", settings: { model: "centernet", minScore: 0.7 } });
    assert.deepEqual(cam.actor.getSnapshot().context.analytics, {
      model: "centernet",
      minScore: 0.7,
    });
    cam.send({ type: "RECORDING.STOP" });
    assert.equal(cam.summary().recording, "finalizing");
    cam.send({ type: "RECORDING.FINALIZED" });
    cam.send({ type: "ANALYTICS.DETACH" });
    assert.equal(cam.summary().recording, "idle");
    assert.equal(cam.summary().analytics, "detached");
    assert.equal(cam.actor.getSnapshot().context.recording, null);
    assert.equal(cam.summary().stream, "offline");
    assert.deepEqual(cam.capture.pids, []);
  });
});

Deno.test("camera goes live on CAPTURE.START and serves a JPEG snapshot of the analysis size", async () => {
  await withRtspServer({}, async (server) => {
    await withCamera(input(server.url), async (cam) => {
      cam.send({ type: "CAPTURE.START" });
      assert.equal(cam.summary().stream, "connecting");
      await waitFor(() => cam.summary().stream === "live", 10_000, "live");
      await new Promise((r) => setTimeout(r, 2500));
      const s = cam.summary();
      assert.deepEqual(s.info, { codec: "h264", width: 640, height: 360, fps: 25 });
      // 5 fps asked of a 25 fps source; the slack is for a loaded box, not for the source rate.
      assert.ok(s.fps !== null && s.fps >= 3 && s.fps <= 7, `fps ${s.fps}`);
      assert.ok(s.lastFrameAt !== null && Date.now() - Date.parse(s.lastFrameAt) < 5000);
      assert.equal(s.lastError, null);
      const jpeg = await cameraSnapshot({ latest: cam.capture.slot.peek(), url: server.url });
      assert.ok(isJpeg(jpeg));
      assert.deepEqual(await probeImage(jpeg), { codec: "mjpeg", width: 320, height: 180 });
    });
  });
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("camera backs off when the RTSP server dies and is live again soon after its return", async () => {
  await withRtspServer({}, async (server) => {
    await withCamera(input(server.url), async (cam) => {
      cam.send({ type: "CAPTURE.START" });
      await waitFor(() => cam.summary().stream === "live", 10_000, "live");
      await server.stop();
      await waitFor(() => cam.summary().stream === "backoff", 10_000, "backoff");
      assert.match(cam.summary().lastError ?? "", /^capture: /);
      // Stay down long enough for the backoff to reach its cap.
      await new Promise((r) => setTimeout(r, 4000));
      assert.notEqual(cam.summary().stream, "live");
      await server.start();
      // The goal is 2 s (backoff capped at 1 s, then ffmpeg connects); 2.47 s was seen on a
      // loaded box. This proves the camera comes back on its own; no benchmark measures the
      // capture's figure (scripts/bench_relay.ts's reconnect part measures the hub puller's).
      const ms = await waitFor(() => cam.summary().stream === "live", 15_000, "live again");
      assert.ok(ms < 10_000, `live again ${Math.round(ms)} ms after the server answered`);
      const s = cam.summary();
      assert.ok(s.reconnects >= 2, `reconnects ${s.reconnects}`);
      assert.equal(s.lastError, null);
      assert.equal(cam.capture.pids.length, 1, "exactly one ffmpeg");
    });
  });
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("camera detects a silent source as stalled", async () => {
  const silent = startSilentServer();
  try {
    await withCamera(input(silent.url), async (cam) => {
      const started = Date.now();
      cam.send({ type: "CAPTURE.START" });
      // The watchdog fires after STALL_MS (5 s) without a frame; the bound only proves it fires.
      await waitFor(() => cam.summary().stream === "backoff", 20_000, "stall → backoff");
      assert.ok(Date.now() - started < 20_000);
      assert.match(cam.summary().lastError ?? "", /stalled|timed out/);
    });
  } finally {
    await silent.stop();
  }
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("camera with a bad URL stays offline with a clear error and never runs ffmpeg", async (t) => {
  for (
    const [url, error] of [
      ["file:///etc/passwd", /scheme 'file:' is not allowed/],
      ["-i file:///etc/passwd", /must not start with '-'/],
      ["http://127.0.0.1:1/x", /'http:' is not allowed/],
    ] as const
  ) {
    await t.step(url, async () => {
      await withCamera(input(url), async (cam) => {
        cam.send({ type: "CAPTURE.START" });
        await waitFor(() => cam.summary().lastError !== null, 10_000, "error");
        assert.equal(cam.summary().stream, "offline");
        assert.match(cam.summary().lastError ?? "", error);
        assert.deepEqual(ffmpegChildren(), []);
      });
    });
  }
});

Deno.test("camera keeps retrying a closed port with the refusal as its error", async () => {
  await withCamera(input("rtsp://127.0.0.1:1/x"), async (cam) => {
    cam.send({ type: "CAPTURE.START" });
    await waitFor(() => cam.summary().reconnects >= 2, 10_000, "two retries");
    assert.match(cam.summary().lastError ?? "", /Connection refused/);
    assert.notEqual(cam.summary().stream, "live");
  });
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("CAPTURE.STOP and stopping the camera leave no ffmpeg process", async () => {
  await withRtspServer({}, async (server) => {
    const cam = createCamera(input(server.url));
    try {
      cam.send({ type: "CAPTURE.START" });
      await waitFor(() => cam.summary().stream === "live", 10_000, "live");
      const [first] = cam.capture.pids;
      assert.ok(first !== undefined && processAlive(first));
      cam.send({ type: "CAPTURE.STOP" });
      assert.equal(cam.summary().stream, "offline");
      await cam.capture.settled();
      assert.equal(processAlive(first), false, `/proc/${first} still there after CAPTURE.STOP`);

      cam.send({ type: "CAPTURE.START" });
      await waitFor(() => cam.summary().stream === "live", 10_000, "live again");
      const [second] = cam.capture.pids;
      assert.ok(second !== undefined && second !== first);
      await cam.stop();
      assert.equal(processAlive(second), false, `/proc/${second} still there after stop()`);
    } finally {
      await cam.stop();
    }
  });
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("CAMERA.UPDATE restarts capture with the new analysis size", async () => {
  await withRtspServer({}, async (server) => {
    await withCamera(input(server.url), async (cam) => {
      cam.send({ type: "CAPTURE.START" });
      await waitFor(() => cam.summary().stream === "live", 10_000, "live");
      const [before] = cam.capture.pids;
      cam.send({ type: "CAMERA.UPDATE", source: { analysisWidth: 160, analysisHeight: 96 } });
      await waitFor(() => cam.capture.slot.peek()?.width === 160, 10_000, "160-wide frames");
      assert.equal(cam.capture.slot.peek()?.data.byteLength, 160 * 96 * 3);
      assert.equal(before !== undefined && processAlive(before), false);
    });
  });
});
