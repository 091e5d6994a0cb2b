import assert from "node:assert/strict";
import { UnavailableError, ValidationError } from "../../../models/errors.ts";
import { cameraSnapshot, encodeJpeg, grabJpeg } from "../../../actors/camera/snapshot.ts";
import { isJpeg } from "../../../models/media/jpeg_stream.ts";
import { ffmpegChildren, startSilentServer, withRtspServer } from "../../support/rtsp.ts";
import { probeImage } from "../../support/media.ts";

function gradient(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    const x = (i / 3) % width;
    data[i] = (x * 255) / width;
    data[i + 1] = 128;
    data[i + 2] = 255 - data[i]!;
  }
  return { width, height, data, ts: Date.now(), seq: 1 };
}

Deno.test("encodeJpeg() turns an rgb24 frame into a valid JPEG of the same size", async () => {
  const jpeg = await encodeJpeg(gradient(320, 180));
  assert.ok(isJpeg(jpeg), "SOI/EOI markers");
  assert.deepEqual(await probeImage(jpeg), { codec: "mjpeg", width: 320, height: 180 });
});

Deno.test("encodeJpeg() refuses a frame whose data does not match its size", async () => {
  const frame = { ...gradient(4, 4), width: 5 };
  await assert.rejects(encodeJpeg(frame), /needs 60 bytes, got 48/);
});

Deno.test("grabJpeg() takes one frame from a real RTSP stream, at source size or scaled", async () => {
  await withRtspServer({ width: 640, height: 360 }, async (server) => {
    const full = await grabJpeg({ url: server.url, timeoutMs: 3000 });
    assert.ok(isJpeg(full));
    assert.deepEqual(await probeImage(full), { codec: "mjpeg", width: 640, height: 360 });
    const small = await grabJpeg({ url: server.url, width: 320, height: 180, transport: "udp" });
    assert.deepEqual(await probeImage(small), { codec: "mjpeg", width: 320, height: 180 });
  });
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("grabJpeg() gives up on a source that never answers", async () => {
  const silent = startSilentServer();
  try {
    const started = Date.now();
    await assert.rejects(grabJpeg({ url: silent.url, timeoutMs: 1000 }), UnavailableError);
    assert.ok(Date.now() - started < 8000, "gave up in time");
    assert.equal(silent.accepted, 1);
  } finally {
    await silent.stop();
  }
  assert.deepEqual(ffmpegChildren(), []);
});

Deno.test("grabJpeg() reports a closed port and refuses local files", async () => {
  await assert.rejects(
    grabJpeg({ url: "rtsp://127.0.0.1:1/x", timeoutMs: 1000 }),
    (err: unknown) => err instanceof UnavailableError && /Connection refused/.test(err.message),
  );
  await assert.rejects(grabJpeg({ url: "file:///etc/passwd" }), ValidationError);
});

Deno.test("cameraSnapshot() encodes a fresh frame instead of opening the source", async () => {
  // The URL points at a closed port: only the frame path can succeed.
  const jpeg = await cameraSnapshot({ latest: gradient(64, 48), url: "rtsp://127.0.0.1:1/x" });
  assert.deepEqual(await probeImage(jpeg), { codec: "mjpeg", width: 64, height: 48 });
  const stale = { ...gradient(64, 48), ts: Date.now() - 60_000 };
  await assert.rejects(
    cameraSnapshot({ latest: stale, url: "rtsp://127.0.0.1:1/x", timeoutMs: 500 }),
    UnavailableError,
  );
});
