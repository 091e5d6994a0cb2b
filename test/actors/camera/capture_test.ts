import assert from "node:assert/strict";
import { assign, createActor, setup } from "xstate";
import {
  type CaptureConfig,
  CaptureHandle,
  type CaptureParentEvent,
  createCaptureLogic,
  startCapture,
} from "../../../actors/camera/capture.ts";
import { captureArgs } from "../../../models/media/ffmpeg_args.ts";
import {
  ffmpegChildren,
  processAlive,
  startSilentServer,
  waitFor,
  withRtspServer,
} from "../../support/rtsp.ts";

/** Starts a capture and records what it reports. */
function record(config: CaptureConfig, handle = new CaptureHandle()) {
  const events: CaptureParentEvent[] = [];
  const run = startCapture(config, handle, (e) => events.push(e));
  return { events, run, handle };
}

Deno.test("capture reaches live and delivers frames at the configured fps", async () => {
  await withRtspServer({ width: 640, height: 360, fps: 25 }, async (server) => {
    const { events, run, handle } = record({ url: server.url, width: 320, height: 180, fps: 5 });
    try {
      await waitFor(() => events.length > 0, 10_000, "first capture event");
      assert.deepEqual(events[0], {
        type: "CAPTURE.LIVE",
        info: { codec: "h264", width: 640, height: 360, fps: 25 },
      });
      const frame = await handle.slot.next();
      assert.equal(frame.width, 320);
      assert.equal(frame.height, 180);
      assert.equal(frame.data.byteLength, 320 * 180 * 3);
      // Count frames over a fixed window once the stream runs.
      const before = handle.stats.totalFrames;
      const windowMs = 4000;
      await new Promise((r) => setTimeout(r, windowMs));
      const fps = ((handle.stats.totalFrames - before) * 1000) / windowMs;
      // 5 fps asked of a 25 fps source; the slack is for a loaded box, not for the source rate.
      assert.ok(fps >= 3 && fps <= 7, `measured ${fps} fps, want 5`);
      assert.ok(Math.abs(handle.stats.fps - 5) <= 2, `stats.fps ${handle.stats.fps}`);
      assert.ok(handle.stats.lastFrameAt !== null && Date.now() - handle.stats.lastFrameAt < 5000);
      assert.equal(events.length, 1, "no failure while the server runs");
    } finally {
      await run.stop();
    }
    assert.equal(run.pid !== null && processAlive(run.pid), false);
  });
});

Deno.test("capture reports FAILED when the RTSP server goes away", async () => {
  await withRtspServer({}, async (server) => {
    const { events, run } = record({ url: server.url, width: 160, height: 90, fps: 5 });
    try {
      await waitFor(() => events.length === 1, 10_000, "CAPTURE.LIVE");
      await server.stop();
      await waitFor(() => events.length === 2, 10_000, "CAPTURE.FAILED");
      const failed = events[1];
      assert.equal(failed?.type, "CAPTURE.FAILED");
      assert.match(failed.type === "CAPTURE.FAILED" ? failed.error : "", /^capture: /);
      await run.done;
    } finally {
      await run.stop();
    }
  });
});

Deno.test("capture detects a source that accepts but never answers as stalled", async () => {
  const silent = startSilentServer();
  const started = Date.now();
  const { events, run } = record({
    url: silent.url,
    width: 160,
    height: 90,
    fps: 5,
    stallMs: 3000,
    timeoutMs: 20_000,
  });
  try {
    await waitFor(() => events.length > 0, 20_000, "stall detection");
    assert.deepEqual(events, [{
      type: "CAPTURE.FAILED",
      error: "capture: no frame for 3000 ms (stalled)",
      fatal: false,
    }]);
    // Several times the 3 s watchdog: the bound proves it fires, not how punctually.
    assert.ok(Date.now() - started < 20_000);
    await run.done;
    assert.equal(processAlive(run.pid ?? 0), false, "ffmpeg killed after the stall");
  } finally {
    await run.stop();
    await silent.stop();
  }
});

Deno.test("capture refuses bad URLs without starting ffmpeg", async (t) => {
  const cases = [
    { url: "file:///etc/passwd", error: /scheme 'file:' is not allowed/ },
    { url: "-i", error: /must not start with '-'/ },
    { url: "-i file:///etc/passwd", error: /must not start with '-'/ },
    { url: "rtsp://127.0.0.1/x -i /etc/passwd", error: /whitespace/ },
    { url: "http://127.0.0.1/x.mjpg", error: /'http:' is not allowed/ },
  ];
  for (const c of cases) {
    await t.step(c.url, async () => {
      const { events, run } = record({ url: c.url, width: 160, height: 90, fps: 5 });
      assert.equal(run.pid, null);
      await waitFor(() => events.length > 0, 10_000, "CAPTURE.FAILED");
      const e = events[0];
      assert.ok(e?.type === "CAPTURE.FAILED" && e.fatal && c.error.test(e.error), String(e));
    });
  }
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("capture reports a closed port as a retryable failure", async () => {
  const { events, run } = record({ url: "rtsp://127.0.0.1:1/x", width: 160, height: 90, fps: 5 });
  await waitFor(() => events.length > 0, 10_000, "CAPTURE.FAILED");
  const e = events[0];
  assert.ok(e?.type === "CAPTURE.FAILED" && !e.fatal, JSON.stringify(e));
  assert.match(e.error, /Connection refused/);
  await run.done;
});

Deno.test("ffmpeg refuses a local file even if one got past URL validation", async () => {
  const args = captureArgs({ url: "rtsp://127.0.0.1:1/x", width: 160, height: 90, fps: 5 });
  const i = args.indexOf("-i");
  for (const path of ["file:///etc/passwd", "/etc/passwd"]) {
    args[i + 1] = path;
    const out = await new Deno.Command("ffmpeg", { args, stdout: "piped", stderr: "piped" })
      .output();
    assert.equal(out.success, false);
    assert.equal(out.stdout.byteLength, 0, "no frame read from the file");
    assert.match(new TextDecoder().decode(out.stderr), /Protocol 'file' not on whitelist/);
  }
});

Deno.test("stopping the capture actor leaves no ffmpeg process", async () => {
  await withRtspServer({}, async (server) => {
    const handle = new CaptureHandle();
    const config: CaptureConfig = { url: server.url, width: 160, height: 90, fps: 5 };
    const parent = setup({
      types: { context: {} as { live: boolean }, events: {} as CaptureParentEvent },
      actors: { capture: createCaptureLogic(handle) },
    }).createMachine({
      context: { live: false },
      invoke: { src: "capture", input: config },
      on: { "CAPTURE.LIVE": { actions: assign({ live: true }) } },
    });
    const actor = createActor(parent).start();
    await waitFor(() => actor.getSnapshot().context.live, 10_000, "CAPTURE.LIVE via the parent");
    const [pid] = handle.pids;
    assert.ok(pid !== undefined && processAlive(pid));
    actor.stop();
    await handle.settled();
    assert.equal(processAlive(pid), false, `/proc/${pid} still there`);
    assert.deepEqual(handle.pids, []);
    assert.deepEqual(ffmpegChildren(), []);
  });
});

Deno.test("capture keeps receiving frames from a looping file-backed stream", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    const made = await new Deno.Command("ffmpeg", {
      args: [
        ...["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10"],
        ...["-t", "2", "-c:v", "mpeg4", clip],
      ],
    }).output();
    assert.ok(made.success);
    await withRtspServer({ source: clip, fps: 10 }, async (server) => {
      assert.ok(server.feederPid !== null && processAlive(server.feederPid));
      const { events, run, handle } = record({ url: server.url, width: 160, height: 90, fps: 5 });
      try {
        await waitFor(() => events.length > 0, 10_000, "CAPTURE.LIVE");
        assert.equal(events[0]?.type, "CAPTURE.LIVE");
        const before = handle.stats.totalFrames;
        // Longer than the 2 s clip: frames must keep coming across the loop points.
        await new Promise((r) => setTimeout(r, 5000));
        const fps = (handle.stats.totalFrames - before) / 5;
        assert.ok(fps >= 3 && fps <= 7, `measured ${fps} fps across loops, want 5`);
        assert.equal(events.length, 1, "no failure at the loop points");
      } finally {
        await run.stop();
      }
      const feeder = server.feederPid;
      await server.stop();
      assert.equal(processAlive(feeder), false, "feeder ffmpeg stopped with the server");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
