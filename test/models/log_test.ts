import assert from "node:assert/strict";
import { configureLogging, createLogger, redact } from "../../models/log.ts";

Deno.test("redact() masks passwords in URLs and secret-looking keys", () => {
  assert.deepEqual(
    redact({ url: "rtsp://admin:hunter2@10.0.0.9/stream", password: "hunter2", name: "door" }),
    { url: "rtsp://admin:***@10.0.0.9/stream", password: "***", name: "door" },
  );
  assert.deepEqual(redact({ nested: [{ token: "abc" }] }), { nested: [{ token: "***" }] });
  assert.equal(redact("rtsp://cam/s"), "rtsp://cam/s", "a URL without a password stays");
  assert.equal(redact("ffmpeg: //u:pw@x refused"), "ffmpeg: //u:***@x refused", "also in text");
});

Deno.test("a logger writes one JSON line per event with its component and fields", () => {
  const lines: string[] = [];
  configureLogging("info", (line) => lines.push(line));
  try {
    const log = createLogger("camera").child({ camera: "c1" });
    log.debug("hidden below the threshold");
    log.warn("stalled", { sourceUrl: "rtsp://u:secret@h/1" });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.level, "warn");
    assert.equal(line.component, "camera");
    assert.equal(line.camera, "c1");
    assert.equal(line.sourceUrl, "rtsp://u:***@h/1");
  } finally {
    configureLogging("info", (line) => console.error(line));
  }
});

Deno.test("finding 4: a password containing @ is masked whole in logs", () => {
  assert.equal(
    redact("rtsp://pub:tP@4ss@media/live/x"),
    "rtsp://pub:***@media/live/x",
    "nothing of the password is left",
  );
  assert.equal(
    redact("push to rtsp://pub:a@b@c@media:8554/x failed; mail ops@example.com"),
    "push to rtsp://pub:***@media:8554/x failed; mail ops@example.com",
  );
});

Deno.test("redact() ends the user info at the authority: an @ in a query or fragment is not it", () => {
  assert.equal(redact("rtsp://user:pass@$#@"), "rtsp://user:***@$#@");
  assert.equal(redact("rtsp://u:pw@cam/s?x=a@b"), "rtsp://u:***@cam/s?x=a@b");
});
