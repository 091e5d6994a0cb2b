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

Deno.test("addressProblem() reads the address's bytes: every IPv6 spelling and embedded IPv4", () => {
  const cases: [string, string | undefined][] = [
    // IPv4-mapped, as `URL` rewrites it (hex) and as written (dotted), compressed and full.
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:7F00:1", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["0:0:0:0:0:ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:0:0", "unspecified"],
    ["::ffff:0.0.0.0", "unspecified"],
    // IPv4-compatible (deprecated) and NAT64 well-known prefix.
    ["::7f00:1", "loopback"],
    ["::127.0.0.2", "loopback"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::169.254.169.254", "link-local"],
    // IPv6 loopback, unspecified and link-local in their long spellings, with a zone.
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "loopback"],
    ["::0.0.0.1", "loopback"],
    ["0:0:0:0:0:0:0:0", "unspecified"],
    ["FE80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    // Ordinary: mapped private addresses, near misses of the prefixes.
    ["::ffff:a00:9", undefined],
    ["::ffff:10.0.0.9", undefined],
    ["fec0::1", undefined],
    ["fe8::1", undefined],
    ["::fffe:7f00:1", undefined],
    ["64:ff9b:1::7f00:1", undefined],
    ["::a00:9", undefined],
    // The whole IPv4-compatible ::/96 is judged as IPv4: `::2` is 0.0.0.2.
    ["::2", "unspecified"],
  ];
  for (const [address, expected] of cases) assert.equal(addressProblem(address), expected, address);
});

Deno.test("pushRefusal() refuses a literal IPv6 target that spells a refused IPv4 address", async (t) => {
  const cases: [string, RegExp][] = [
    ["rtsp://[::ffff:127.0.0.1]:8554/x", /::ffff:7f00:1 \(127\.0\.0\.1\), a loopback/],
    ["rtsp://[::ffff:7f00:1]:9/x", /loopback/],
    ["rtsp://[0:0:0:0:0:ffff:7f00:1]:8554/x", /loopback/],
    ["rtsp://[::ffff:169.254.169.254]/x", /169\.254\.169\.254\), a link-local/],
    ["rtsp://[::ffff:a9fe:a9fe]/x", /link-local/],
    ["rtsp://[::ffff:0.0.0.0]:8554/x", /unspecified/],
    ["rtsp://[::ffff:0:0]:8554/x", /unspecified/],
    ["rtsp://[::127.0.0.1]:8554/x", /loopback/],
    ["rtsp://[64:ff9b::7f00:1]:8554/x", /loopback/],
    ["rtsp://[0:0:0:0:0:0:0:1]:8554/x", /loopback/],
  ];
  for (const [raw, message] of cases) {
    await t.step(raw, () => {
      const target = parsePushTarget(raw);
      const refusal = pushRefusal({
        target,
        addresses: [target.host],
        ownAddresses: [],
        ownPorts: [8554],
        allow: [],
      });
      assert.match(refusal ?? "allowed", message);
    });
  }
});

Deno.test("pushRefusal() knows the box's own address and an allow entry in any spelling", () => {
  const check = (raw: string, allow = "") => {
    const target = parsePushTarget(raw);
    return pushRefusal({
      target,
      addresses: [target.host],
      ownAddresses: ["10.0.0.5", "2001:db8::5"],
      ownPorts: [8554],
      allow: parsePushAllow(allow),
    });
  };
  assert.match(check("rtsp://[::ffff:10.0.0.5]:8554/x")!, /own listening port/);
  assert.match(check("rtsp://[::ffff:a00:5]:8554/x")!, /own listening port/);
  assert.match(check("rtsp://[2001:db8:0:0:0:0:0:5]:8554/x")!, /own listening port/);
  assert.equal(check("rtsp://[2001:db8::5]:8554/x", "[2001:DB8:0::5]:8554"), undefined);
  assert.equal(check("rtsp://[::ffff:10.0.0.5]:8556/x"), undefined, "another port of the box");
  assert.equal(check("rtsp://[::ffff:7f00:1]:8555/x", "127.0.0.1:8555"), undefined);
  assert.equal(check("rtsp://127.0.0.1:8555/x", "[::ffff:127.0.0.1]:8555"), undefined);
  assert.equal(check("rtsp://[2001:db8::6]:8554/x"), undefined, "an ordinary receiver");
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
