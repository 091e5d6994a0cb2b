import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import {
  splitCredentials,
  validateSourceUrl,
  withCredentials,
} from "../../../models/media/rtsp_url.ts";

function rejects(raw: unknown, pattern: RegExp, options = {}): void {
  assert.throws(
    () => validateSourceUrl(raw, options),
    (err: unknown) => err instanceof ValidationError && pattern.test(err.message),
  );
}

Deno.test("validateSourceUrl() accepts rtsp and rtsps with host, port and credentials", () => {
  assert.deepEqual(validateSourceUrl("rtsp://cam.local/stream1").hostname, "cam.local");
  assert.deepEqual(validateSourceUrl("rtsps://10.0.0.5:322/live").port, "322");
  assert.deepEqual(validateSourceUrl("RTSP://admin:p%40ss@10.0.0.5:554/s?ch=1").username, "admin");
});

Deno.test("validateSourceUrl() refuses local files in every spelling", () => {
  rejects("file:///etc/passwd", /scheme 'file:' is not allowed/);
  rejects("FILE:///etc/passwd", /scheme 'file:' is not allowed/);
  rejects("/etc/passwd", /must be a URL starting with rtsp:\/\/ or rtsps:\/\//);
  rejects("etc/passwd", /must be a URL/);
});

Deno.test("validateSourceUrl() refuses anything ffmpeg could read as an option", () => {
  rejects("-i", /must not start with '-'/);
  rejects("-i file:///etc/passwd", /must not start with '-'/);
  rejects("rtsp://cam/s -i file:///etc/passwd", /whitespace or control characters/);
  rejects("rtsp://cam/s\n-i", /whitespace or control characters/);
  rejects("rtsp://cam/\u0000x", /whitespace or control characters/);
});

Deno.test("validateSourceUrl() accepts http only when explicitly allowed", () => {
  rejects("http://cam/mjpeg", /scheme 'http:' is not allowed; use rtsp:\/\/ or rtsps:\/\//);
  assert.deepEqual(validateSourceUrl("http://cam/mjpeg", { allowSchemes: ["http"] }).host, "cam");
  rejects("https://cam/x", /use rtsp:\/\/ or rtsps:\/\/ or http:\/\//, { allowSchemes: ["http"] });
  rejects("file:///etc/passwd", /not allowed/, { allowSchemes: ["http", "https"] });
});

Deno.test("validateSourceUrl() needs a host and a string", () => {
  rejects("rtsp:///stream", /must name a host/);
  rejects("rtsp:cam", /must name a host/);
  rejects("", /must not be empty/);
  rejects(42, /must be a string, got number/);
  rejects(`rtsp://cam/${"a".repeat(3000)}`, /at most 2048 characters/);
});

Deno.test("validateSourceUrl() names the field in the error", () => {
  assert.throws(
    () => validateSourceUrl("ftp://x", { field: "cameras.0.url" }),
    (err: unknown) =>
      err instanceof ValidationError && err.field === "cameras.0.url" && err.status === 422 &&
      err.code === "invalid_input" && err.message.startsWith("Invalid 'cameras.0.url'"),
  );
});

Deno.test("splitCredentials() and withCredentials() round-trip special characters", () => {
  const split = splitCredentials("rtsp://ad%20min:p%40ss%3Aw0rd@cam:554/s?x=1");
  assert.deepEqual(split, {
    url: "rtsp://cam:554/s?x=1",
    username: "ad min",
    password: "p@ss:w0rd",
  });
  const back = withCredentials(split.url, split);
  assert.deepEqual(splitCredentials(back), split);
  assert.deepEqual(withCredentials("rtsp://old:pw@cam/s", { username: null }), "rtsp://cam/s");
  assert.deepEqual(splitCredentials("rtsp://cam/s"), {
    url: "rtsp://cam/s",
    username: null,
    password: null,
  });
});
Deno.test("splitCredentials() refuses what the fuzzer found: control characters, a lone password", async (t) => {
  for (
    const [raw, message] of [
      ["rtsp://a%00b:pw@cam/s", /control character/],
      ["rtsp://admin:p%07w@cam/s", /control character/],
      ["rtsp://:&@!", /needs a user name/],
      ["rtsp://:secret@cam/s", /needs a user name/],
    ] as const
  ) {
    await t.step(raw, () => {
      assert.throws(
        () => splitCredentials(validateSourceUrl(raw).href, "rtspUrl"),
        (err: unknown) => err instanceof ValidationError && message.test(err.message),
      );
    });
  }
});
