import assert from "node:assert/strict";
import {
  addressProblem,
  parsePushAllow,
  parsePushTarget,
  pushRefusal,
  pushUrl,
} from "../../../models/net/push_target.ts";
import { ValidationError } from "../../../models/errors.ts";

Deno.test("finding 4: parsePushTarget() keeps a password containing @ apart and whole", async (t) => {
  const cases: [string, string, string, string | null, number][] = [
    ["rtsp://pub:tP@4ss@media/live/x", "rtsp://pub@media/live/x", "media", "tP@4ss", 554],
    ["rtsps://pub:s3@media:8322/x?a=1", "rtsps://pub@media:8322/x?a=1", "media", "s3", 8322],
    ["rtsp://:only@media/x", "rtsp://media/x", "media", "only", 554],
    ["rtsp://user@media/p@th", "rtsp://user@media/p@th", "media", null, 554],
    ["rtsp://u:a%40b@[::1]:9/x", "rtsp://u@[::1]:9/x", "::1", "a%40b", 9],
  ];
  for (const [raw, shown, host, password, port] of cases) {
    await t.step(raw, () => {
      const target = parsePushTarget(raw);
      assert.deepEqual(target, { shown, host, password, port });
      assert.equal(pushUrl(target), raw, "ffmpeg gets the URL as it was given");
      if (password) assert.ok(!target.shown.includes(password), "shown without the password");
    });
  }
});

Deno.test("addressProblem() names loopback, link-local and unspecified addresses", () => {
  const cases: [string, string | undefined][] = [
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.9", undefined],
    ["192.168.1.20", undefined],
    ["2001:db8::1", undefined],
  ];
  for (const [address, expected] of cases) assert.equal(addressProblem(address), expected, address);
});

Deno.test("parsePushAllow() reads host and host:port entries and names a bad one", () => {
  assert.deepEqual(parsePushAllow(""), []);
  assert.deepEqual(parsePushAllow(" Media.lan, 127.0.0.1:8554 ,[::1]:9"), [
    { host: "media.lan", port: null },
    { host: "127.0.0.1", port: 8554 },
    { host: "::1", port: 9 },
  ]);
  for (const bad of ["rtsp://x", "host:0", "host:99999", "a b", "h:p"]) {
    assert.throws(() => parsePushAllow(bad), ValidationError, bad);
  }
});

Deno.test("finding 3: pushRefusal() refuses loopback, link-local and the box's own ports unless allowed", () => {
  const check = (raw: string, addresses: string[], allow = "") =>
    pushRefusal({
      target: parsePushTarget(raw),
      addresses,
      ownAddresses: ["127.0.0.1", "10.0.0.5"],
      ownPorts: [8080, 8554],
      allow: parsePushAllow(allow),
    });
  assert.match(check("rtsp://127.0.0.1:8554/live/x", ["127.0.0.1"])!, /loopback/);
  assert.match(check("rtsp://localhost:9/x", ["::1", "127.0.0.1"])!, /loopback/);
  assert.match(check("rtsp://rebind.example/x", ["169.254.169.254"])!, /link-local/);
  assert.match(check("rtsp://box.lan:8554/x", ["10.0.0.5"])!, /own listening port/);
  assert.equal(check("rtsp://box.lan:8556/x", ["10.0.0.5"]), undefined, "another port of the box");
  assert.equal(check("rtsp://media.lan/x", ["10.0.0.9"]), undefined, "an ordinary receiver");
  assert.match(check("rtsp://nowhere.invalid/x", [])!, /does not resolve/);
  assert.equal(check("rtsp://127.0.0.1:8554/x", ["127.0.0.1"], "127.0.0.1:8554"), undefined);
  assert.equal(check("rtsp://localhost:9/x", ["127.0.0.1"], "localhost"), undefined);
  assert.match(
    check("rtsp://127.0.0.1:8555/x", ["127.0.0.1"], "127.0.0.1:8554")!,
    /VIGIL_PUSH_ALLOW/,
    "an entry with a port allows that port only",
  );
});
